"""A build setting that is always true, for config_settings that must always match."""

def _constant_impl(ctx):
    return []

constant_bool = rule(
    implementation = _constant_impl,
    build_setting = config.bool(flag = False),
)
