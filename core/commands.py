"""The base of the project's management commands: Django's BaseCommand, whose help texts may be
lazy translations (argparse formats only real strings: `--help` failed with a TypeError)."""
from django.core.management.base import BaseCommand as DjangoBaseCommand
from django.core.management.base import CommandParser


class BaseCommand(DjangoBaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        # Translated when the parser is built, in the language active then.
        self.help = str(self.help)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        for action in parser._actions:
            if action.help is not None and not isinstance(action.help, str):
                action.help = str(action.help)
        return parser
