"""A C++ toolchain for Windows x86_64 built with Debian's mingw-w64 cross compiler."""

load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "artifact_name_pattern",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)
load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")

_PREFIX = "/usr/bin/x86_64-w64-mingw32-"
_GCC_DIR = "/usr/lib/gcc/x86_64-w64-mingw32/12-posix"

_COMPILE_ACTIONS = [
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
]

_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

def _impl(ctx):
    tools = {
        # g++ drives both compiling and linking, so libstdc++ is linked in the right place.
        "gcc": _PREFIX + "g++-posix",
        "cpp": _PREFIX + "cpp-posix",
        "ar": _PREFIX + "ar",
        "ld": _PREFIX + "ld",
        "nm": _PREFIX + "nm",
        "objcopy": _PREFIX + "objcopy",
        "objdump": _PREFIX + "objdump",
        "strip": _PREFIX + "strip",
        "gcov": _PREFIX + "gcov-posix",
    }
    default_flags = feature(
        name = "default_flags",
        enabled = True,
        flag_sets = [
            flag_set(
                actions = _COMPILE_ACTIONS,
                flag_groups = [flag_group(flags = [
                    # gcc would otherwise report headers under paths Bazel does not know
                    # ("undeclared inclusion").
                    "-fno-canonical-system-headers",
                    "-O1",
                ])],
            ),
            flag_set(
                actions = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing],
                flag_groups = [flag_group(flags = ["-std=c++17"])],
            ),
            flag_set(
                actions = _LINK_ACTIONS,
                # Static: the .exe runs under wine (or on Windows) without mingw's DLLs.
                flag_groups = [flag_group(flags = ["-static"])],
            ),
        ],
    )
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = [default_flags],
        cxx_builtin_include_directories = [
            _GCC_DIR + "/include",
            _GCC_DIR + "/include-fixed",
            _GCC_DIR + "/include/c++",
            "/usr/x86_64-w64-mingw32/include",
            "/usr/share/mingw-w64/include",
        ],
        toolchain_identifier = "mingw-w64-x86_64",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "x86_64-w64-mingw32",
        target_cpu = "x64_windows",
        target_libc = "msvcrt",
        compiler = "mingw-gcc",
        abi_version = "local",
        abi_libc_version = "local",
        tool_paths = [tool_path(name = name, path = path) for name, path in tools.items()],
        artifact_name_patterns = [
            artifact_name_pattern(
                category_name = "executable",
                prefix = "",
                extension = ".exe",
            ),
        ],
    )

mingw_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
