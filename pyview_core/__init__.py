"""The live half of pyview (LiveViews, sockets, the diff core). Built in later issues."""
