"""First-run setup for `make run`: Liuzhou data, demo data and demo accounts. Refused in production."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from schools.models import School

DEMO_SEED = 2016


class Command(BaseCommand):
    help = "Load Liuzhou data, generate demo data on first run and print the demo accounts (DEBUG only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("setup_demo creates accounts with printed passwords: it runs only with DEBUG on.")
        call_command("load_liuzhou", stdout=self.stdout)
        if not School.objects.demo().exists():
            call_command("generate_demo", seed=DEMO_SEED, stdout=self.stdout)
        credentials = self.ensure_accounts()
        self.stdout.write(self.style.SUCCESS("Demo accounts (local development only):"))
        for line in credentials:
            self.stdout.write(f"  {line}")

    def credentials_file(self):
        path = settings.BASE_DIR / "var" / "demo-accounts.txt"
        path.parent.mkdir(exist_ok=True)
        return path

    def ensure_accounts(self) -> list[str]:
        """Create the demo superuser once; its password is random and kept in var/ (git-ignored)."""
        path = self.credentials_file()
        user_model = get_user_model()
        if user_model.objects.filter(username="admin").exists() and path.exists():
            return path.read_text(encoding="utf-8").splitlines()
        password = secrets.token_urlsafe(12)
        user, _ = user_model.objects.get_or_create(username="admin", defaults={"email": "admin@example.invalid"})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        lines = [f"superuser  username: admin  password: {password}"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return lines
