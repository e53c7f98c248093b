"""Every management command of the project's apps builds its parser and prints its --help (lazy
translated help texts once made argparse fail with a TypeError)."""
import pytest
from django.core.management import get_commands, load_command_class

PROJECT_APPS = {"citygrid", "grids", "cases", "hotline", "assessment"}
COMMANDS = sorted((name, app) for name, app in get_commands().items() if app in PROJECT_APPS)


def test_the_project_has_commands_to_check():
    names = {name for name, _app in COMMANDS}
    assert {"import_components", "export_components", "import_grids", "load_classes"} <= names


@pytest.mark.parametrize(("name", "app"), COMMANDS, ids=[name for name, _app in COMMANDS])
def test_help(name, app):
    command = load_command_class(app, name)
    text = command.create_parser("manage.py", name).format_help()
    assert f"manage.py {name}" in text
    assert str(command.help).split()[0] in text
