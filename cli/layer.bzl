"""What every package of cli/ declares alike."""

def layer_sources():
    """The package's sources and BUILD file, gathered by //cli:all_sources (the portability test)."""
    native.filegroup(
        name = "sources",
        srcs = native.glob(["*.cc", "*.h"]) + ["BUILD"],
        visibility = ["//cli:__pkg__"],
    )
