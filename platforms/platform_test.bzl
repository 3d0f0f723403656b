"""platform_test: runs an existing test target built for another platform.

`bazel test //...` builds everything for one platform; this rule lets it also run, say, the
library's conformance suite built for //platforms:linux_kqueue_emulated, without copying the
test's sources or rules. The test and all its dependencies are built in that configuration
(their own output directory); the result is an ordinary test of this package.
"""

def _to_platform_impl(settings, attr):
    return {"//command_line_option:platforms": str(attr.platform)}

_to_platform = transition(
    implementation = _to_platform_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _platform_test_impl(ctx):
    test = ctx.attr.test[0][DefaultInfo]
    executable = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(
        output = executable,
        target_file = test.files_to_run.executable,
        is_executable = True,
    )
    return [DefaultInfo(
        executable = executable,
        runfiles = ctx.runfiles(files = [executable]).merge(test.default_runfiles),
    )]

platform_test = rule(
    implementation = _platform_test_impl,
    test = True,
    attrs = {
        "test": attr.label(
            doc = "The test target to build for `platform` and run.",
            cfg = _to_platform,
            executable = True,
            mandatory = True,
        ),
        "platform": attr.label(
            doc = "The platform() to build `test` for.",
            mandatory = True,
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
