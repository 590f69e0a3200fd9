"""Create an account with a role: python manage.py create_user --role county --county 融水县 --username U"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.choices import Role
from accounts.services import find_county, find_school, user_create
from liuzhou_pairing.actors import SYSTEM


class Command(BaseCommand):
    help = "Create a user with a role (city, county, school, inspector, region) tied to a county or a school."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--county", help="county-level unit, by exact name (for county staff and inspectors)")
        parser.add_argument("--school", help="school, by exact name or national school code (for school staff)")
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", help="generated and printed when not given")

    def handle(self, *args, role: str, county: str | None, school: str | None, username: str, password: str | None,
               **options) -> None:  # fmt: skip
        try:
            if role == Role.COUNTY and not county:
                raise CommandError("--county is required for --role county")
            if role == Role.SCHOOL and not school:
                raise CommandError("--school is required for --role school")
            if county and role not in (Role.COUNTY, Role.INSPECTOR):
                raise CommandError(f"--county does not apply to --role {role}")
            if school and role != Role.SCHOOL:
                raise CommandError(f"--school does not apply to --role {role}")
            user, password_used = user_create(
                actor=SYSTEM,
                username=username,
                role=role,
                county=find_county(county) if county else None,
                school=find_school(school) if school else None,
                password=password,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({role})."))
        if not password:
            self.stdout.write(f"password: {password_used}")
