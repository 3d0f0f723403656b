"""windows_binary: a binary built for Windows with mingw-w64 inside any build.

A Linux test can then run the .exe under wine as data (what --config=mingw does for a whole
build, done for one dependency). Bazel 4 cannot transition --incompatible_* options, so the
build needs --incompatible_enable_cc_toolchain_resolution (--config=windows_binary).
"""

def _to_windows_impl(settings, attr):
    return {
        "//command_line_option:platforms": "//platforms:windows",
        "//command_line_option:extra_toolchains": ["//toolchains/mingw:toolchain"],
        "//command_line_option:platform_suffix": "mingw",
    }

_to_windows = transition(
    implementation = _to_windows_impl,
    inputs = [],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:extra_toolchains",
        "//command_line_option:platform_suffix",
    ],
)

def _windows_binary_impl(ctx):
    files = ctx.attr.binary[0][DefaultInfo].files
    return [DefaultInfo(files = files, runfiles = ctx.runfiles(transitive_files = files))]

windows_binary = rule(
    implementation = _windows_binary_impl,
    doc = "The files of `binary` built for Windows (x86_64, mingw-w64).",
    attrs = {
        "binary": attr.label(cfg = _to_windows, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
