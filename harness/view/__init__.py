"""`corecraft view`: a self-contained HTML report and transcript viewer for run directories.

model (reading runs), summary and stats (figures and intervals), compare (runs side by side),
episode (one episode's page), plots (SVG), pages (the HTML), server (--serve on 127.0.0.1).
"""
