#!/usr/bin/env python3
"""Counts the test cases of the given `bazel test` runs and prints `N passed, N failed`.

Reads the build event files (--build_event_json_file) of one or more runs, so only the
test.xml files those runs produced or reused count, never stale ones left by earlier runs.
A test case run in several configurations (plain, asan, ubsan, ...) counts once: passed
when it passed in every run it appeared in, failed when it failed in any.
Exit status: 0 when nothing failed and at least one case ran, 1 otherwise.
"""
import argparse
import json
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


def test_xml_files(bep_path):
    """(label, path) of every test.xml the run reported."""
    with open(bep_path, encoding="utf-8") as bep:
        for line in bep:
            event = json.loads(line)
            result = event.get("testResult")
            if result is None:
                continue
            label = event["id"]["testResult"]["label"]
            for output in result.get("testActionOutput", []):
                if output.get("name") == "test.xml":
                    uri = output["uri"]
                    yield label, urllib.request.url2pathname(urllib.parse.urlparse(uri).path)


def case_outcomes(label, xml_path):
    """(key, outcome) of each test case; outcome is passed, failed or skipped."""
    root = ET.parse(xml_path).getroot()
    for case in root.iter("testcase"):
        key = (label, case.get("classname", ""), case.get("name", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            yield key, "failed"
        elif case.find("skipped") is not None or case.get("result") == "skipped" \
                or case.get("status") == "notrun":
            yield key, "skipped"
        else:
            yield key, "passed"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bep", nargs="+", help="build event JSON files, one per bazel test run")
    args = parser.parse_args()

    outcomes = {}
    for bep_path in args.bep:
        for label, xml_path in test_xml_files(bep_path):
            for key, outcome in case_outcomes(label, xml_path):
                previous = outcomes.get(key)
                if previous == "failed" or (previous == "passed" and outcome == "skipped"):
                    continue
                outcomes[key] = outcome
                if outcome == "failed":
                    print(f"FAILED {key[0]}: {key[1]}.{key[2]}", file=sys.stderr)

    counts = {state: 0 for state in ("passed", "failed", "skipped")}
    for outcome in outcomes.values():
        counts[outcome] += 1
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 0 if counts["failed"] == 0 and counts["passed"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
