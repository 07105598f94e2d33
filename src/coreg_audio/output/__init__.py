"""Finished tracks: file sinks, tags and chapters, captions, covers, the library batch."""
