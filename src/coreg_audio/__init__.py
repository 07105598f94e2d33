"""coreg-audio: guided co-regulation practice audio from YAML scripts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coreg-audio")
except PackageNotFoundError:
    __version__ = "0+unknown"
