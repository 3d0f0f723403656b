"""What platforms/BUILD needs and config_setting cannot say: "any of these" and "none of these".

A config_setting can only AND its conditions. An alias whose `actual` is a select() between a
setting that always matches and one that never does can stand for an OR (or a NOR) of
settings, and can itself be used as a select() key.
"""

def _constant_impl(_ctx):
    return []

# A build setting nobody sets: config_settings on its value are always or never true.
constant_bool = rule(
    implementation = _constant_impl,
    build_setting = config.bool(flag = False),
)

def any_of(settings):
    """The `actual` of an alias that matches when one of `settings` matches."""
    branches = {setting: ":always" for setting in settings}
    branches["//conditions:default"] = ":never"
    return select(branches)

def none_of(settings):
    """The `actual` of an alias that matches when none of `settings` matches."""
    branches = {setting: ":never" for setting in settings}
    branches["//conditions:default"] = ":always"
    return select(branches)
