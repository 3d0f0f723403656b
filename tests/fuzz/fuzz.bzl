"""fuzz_target(): one libFuzzer target over a parser of user input, and its two tests.

For NAME it declares
  NAME_fuzzer      the binary: LLVMFuzzerTestOneInput from SRCS, linked with libFuzzer
                   under --config=fuzz, with a main that replays files otherwise;
  NAME_corpus_test replays the seed corpus corpus/NAME/ (every config but fuzz: plain,
                   asan, ubsan), so each seed stays a regression test;
  NAME_fuzz_test   fuzzes from the seed corpus for FUZZ_SECONDS under libFuzzer, ASan and
                   UBSan (--config=fuzz only) and fails on any finding.
Each test is skipped (incompatible) in the configuration it is not for.
"""

def fuzz_target(name, srcs, deps):
    fuzzer = name + "_fuzzer"
    native.cc_binary(
        name = fuzzer,
        testonly = True,
        srcs = srcs,
        deps = deps + select({
            ":libfuzzer": [],
            "//conditions:default": [":replay_main"],
        }),
        linkopts = select({
            ":libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
    )
    corpus = native.glob(["corpus/%s/*" % name])
    args = ["$(rootpath :%s)" % fuzzer, "tests/fuzz/corpus/" + name]
    native.sh_test(
        name = name + "_corpus_test",
        size = "small",
        srcs = ["run_fuzzer.sh"],
        args = args,
        data = [":" + fuzzer] + corpus,
        target_compatible_with = select({
            ":libfuzzer": ["@platforms//:incompatible"],
            "//conditions:default": [],
        }),
    )
    native.sh_test(
        name = name + "_fuzz_test",
        size = "medium",
        srcs = ["run_fuzzer.sh"],
        args = args,
        data = [":" + fuzzer] + corpus,
        target_compatible_with = select({
            ":libfuzzer": [],
            "//conditions:default": ["@platforms//:incompatible"],
        }),
    )
