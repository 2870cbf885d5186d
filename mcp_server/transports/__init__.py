"""How the CoreCraft server reaches clients: stdio (one client, the default) and streamable HTTP
(many concurrent episodes, admin routes, Host/Origin checks and an optional bearer token)."""
