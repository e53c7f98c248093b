"""`python manage.py restore <folder> --database NAME --media DIR`: restore a backup into an empty
database (PostgreSQL: created on the configured server; SQLite: a new file) and media folder."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from citygrid.backup import backup_restore
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Restore a backup folder into an empty database and media folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--database", required=True, help="new PostgreSQL database name, or SQLite file path")
        parser.add_argument("--media", required=True, type=Path, help="empty folder for the photos")

    def handle(self, *args, folder: Path, database: str, media: Path, **options):
        try:
            backup_restore(source=folder, database_name=database, media_root=media)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"restored into {database} and {media}"))
