"""`python manage.py import_cameras FILE`: the camera register from csv or xlsx (编码, 名称, 经度, 纬度,
权属部门编码, 启用), new codes added and known ones updated, all or nothing."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from video.services import cameras_import


class Command(BaseCommand):
    help = "Import the camera register (csv or xlsx): code, name, lon, lat, owner department code, active."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["csv", "xlsx"], default=None)

    def handle(self, *args, file: Path, format: str | None, **options):
        try:
            with open(file, "rb") as handle:
                counts = cameras_import(file=handle, name=file.name, fmt=format)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(f"cameras: {counts['added']} added, {counts['updated']} updated"))
