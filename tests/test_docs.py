"""The README and docs/ document every command, and their examples are what the commands
really print."""

from __future__ import annotations

import re

from click.testing import CliRunner
from conftest import BAD_INPUTS, DATA, ROOT

from maillage.publish.cli import cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
# the README and every page of docs/, as one text: a command shown anywhere is checked
DOCS = "\n".join(
    path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)


def test_the_two_commands_come_first():
    first_block = README.split("```")[1]
    assert "make serve" in first_block and "make test" in first_block


def test_the_readme_is_the_two_commands_and_links_that_all_lead_somewhere():
    assert len(README.splitlines()) < 60
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)[^)]*\)", text):
            if not target.startswith(("http://", "https://", "mailto:")):
                assert (page.parent / target).exists(), (page.name, target)


def test_every_command_is_documented_with_its_help():
    for name, command in cli.commands.items():
        assert f"maillage {name}" in DOCS, name
        assert command.get_short_help_str(), name


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)


def test_the_validate_example_is_real_output():
    result = CliRunner().invoke(cli, ["valider", "--data", str(DATA)])
    assert result.exit_code == 0
    assert f"$ maillage valider\n{result.output}```" in DOCS


def test_the_error_example_is_a_real_error():
    expected = (BAD_INPUTS / "bad-postcode" / "expected.txt").read_text(encoding="utf-8")
    assert expected in DOCS


def test_the_legacy_import_report_is_real_output(tmp_path):
    into = tmp_path / "essai"
    csv_file = ROOT / "tests" / "standards_inputs" / "lieux-v0.1.csv"
    result = CliRunner().invoke(
        cli, ["import", "lieux-mediation", str(csv_file), "--into", str(into)]
    )
    assert result.exit_code == 0, result.output
    shown = result.output.replace(str(into), "/tmp/essai")
    assert f"--into /tmp/essai\n{shown}```" in DOCS


def test_the_guide_examples_are_real_output(tmp_path, default_dist):
    for args, name in (([], "guide.pdf"), (["--commune", "13056"], "guide-martigues.pdf")):
        output = tmp_path / name
        result = CliRunner().invoke(
            cli,
            ["guide", "--data", str(DATA), "--out", str(default_dist), *args, "-o", str(output)],
        )
        assert result.exit_code == 0, result.output
        shown = result.output.replace(str(output), name)
        command = " ".join(["$ maillage guide", *args, "-o", name])
        assert f"{command}\n{shown}" in DOCS


def test_the_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", DOCS, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs", "exec"), {})


def test_the_readme_curl_examples_are_real_answers(default_dist):
    import asyncio

    from maillage.publish.site import make_datasette

    site = make_datasette(default_dist)
    examples = re.findall(r"^\$ curl -s '?http://127\.0\.0\.1:8001([^' \n]*)'?\n(.*)$", DOCS, re.M)
    assert len(examples) >= 3
    for path, shown in examples:
        answer = asyncio.run(site.client.get(path))
        assert answer.status_code == 200, path
        assert answer.text == shown, path


def test_the_re_import_report_is_real_output(tmp_path):
    """The reference's re-import: the Aix file, a phone changed by hand, then next month's file."""
    into = tmp_path / "aix"
    inputs = ROOT / "tests" / "standards_inputs"
    first = ["import", "lieux-mediation", str(inputs / "lieux-v0.1-labels-nationaux.csv")]
    assert CliRunner().invoke(cli, [*first, "--into", str(into)]).exit_code == 0
    actor = into / "actors" / "lieu-numerique-d-aix-2.yaml"
    by_hand = "telephone: 04 42 00 00 01  # appelé le 2 décembre : nouveau numéro"
    actor.write_text(
        actor.read_text(encoding="utf-8").replace("telephone: '+33442000000'", by_hand), "utf-8"
    )
    again = inputs / "lieux-v0.1-labels-nationaux-relance.csv"
    result = CliRunner().invoke(cli, ["import", "lieux-mediation", str(again), "--into", str(into)])
    assert result.exit_code == 0, result.output
    shown = result.output.replace(str(into), "/tmp/aix").splitlines()
    block = DOCS.split("--into /tmp/aix\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0] == shown[0] and block[1] == "…"
    merge = shown.index(block[2])
    assert shown[merge:] == block[2:]
    assert by_hand in actor.read_text(encoding="utf-8")  # the comment survives too
