"""`python manage.py backup <folder>`: dump the database and copy the photos into a new folder."""
from pathlib import Path

from django.core.management.base import BaseCommand

from citygrid.backup import backup_create


class Command(BaseCommand):
    help = "Back up the database (pg_dump or SQLite backup) and MEDIA_ROOT into a new folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        backup_create(target=folder)
        self.stdout.write(self.style.SUCCESS(f"backup written to {folder}"))
