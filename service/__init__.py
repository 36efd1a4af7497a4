"""The HTTP service, the web page and the command line: entry points over models/."""
