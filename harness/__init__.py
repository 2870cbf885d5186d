"""The CoreCraft harness: run models through MCP, save transcripts, grade and report."""
