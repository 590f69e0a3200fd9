"""First-run setup for `make run`: Liuzhou data, demo data and demo accounts. Refused in production.

Every account made here is marked as a demo account (`Profile.is_demo`, the superuser too): with DEBUG off
they cannot log in (accounts.backends).
"""

import re
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.choices import Role
from accounts.models import Profile
from accounts.services import find_county, user_create, user_role_sync
from liuzhou_pairing.actors import SYSTEM
from schools.models import School

DEMO_SEED = 2016
# (username, role, county, school names to try in order, label): one account per role (see README).
DEMO_ACCOUNTS = [
    ("city", Role.CITY, None, None, "市教育局 city"),
    ("rongshui", Role.COUNTY, "融水县", None, "融水县教育局 county"),
    (
        "rongshui_school",
        Role.SCHOOL,
        None,
        ["【演示】融水镇中心小学", "【演示】融水镇中心学校", "融水中学"],
        "学校 school",
    ),
    ("inspector", Role.INSPECTOR, "融水县", None, "督导 inspector"),
    ("city_inspector", Role.INSPECTOR, None, None, "市督导 city inspector"),
    ("region", Role.REGION, None, None, "自治区督导 region"),
]


class Command(BaseCommand):
    help = "Load Liuzhou data, generate demo data on first run and print the demo accounts (DEBUG only)."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("setup_demo creates accounts with printed passwords: it runs only with DEBUG on.")
        call_command("load_liuzhou", stdout=self.stdout)
        self.ensure_demo_data()
        credentials = self.ensure_accounts()
        self.stdout.write(self.style.SUCCESS("Demo accounts (local development only):"))
        for line in credentials:
            self.stdout.write(f"  {line}")

    def ensure_demo_data(self) -> None:
        """Generate the demo schools and pairings on the first run only."""
        if not School.objects.demo().exists():
            call_command("generate_demo", seed=DEMO_SEED, stdout=self.stdout)

    def credentials_file(self):
        path = settings.BASE_DIR / "var" / "demo-accounts.txt"
        path.parent.mkdir(exist_ok=True)
        return path

    @staticmethod
    def printed_passwords(path) -> dict[str, str]:
        """Return the passwords an earlier run printed, by username."""
        if not path.exists():
            return {}
        return dict(re.findall(r"username: (\S+)\s+password: (\S+)", path.read_text(encoding="utf-8")))

    def ensure_accounts(self) -> list[str]:
        """Create the demo superuser and one account per role once; passwords are random and kept in var/
        (git-ignored) so that later runs print them again."""
        path = self.credentials_file()
        user_model = get_user_model()
        wanted = ["admin", *(username for username, *_ in DEMO_ACCOUNTS)]
        # Accounts made before demo accounts were marked are made again, marked.
        marked = user_model.objects.filter(username__in=wanted, profile__is_demo=True)
        if path.exists() and marked.count() == len(wanted):
            return path.read_text(encoding="utf-8").splitlines()
        lines = []
        # A real account that happens to have a demo account's name is never taken over or removed. An account
        # of an earlier run, made before demo accounts were marked, still has the password printed for it.
        printed = self.printed_passwords(path)
        real = {
            user.username
            for user in user_model.objects.filter(username__in=wanted).exclude(profile__is_demo=True)
            if not (user.username in printed and user.check_password(printed[user.username]))
        }
        for username in sorted(real):
            self.stderr.write(f"A real account named {username!r} exists; setup_demo leaves it alone.")
        if "admin" not in real:
            password = secrets.token_urlsafe(12)
            user, _ = user_model.objects.get_or_create(username="admin", defaults={"email": "admin@example.invalid"})
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            Profile.objects.update_or_create(
                user=user, defaults={"role": Role.CITY, "county": None, "school": None, "is_demo": True}
            )
            user_role_sync(user)
            lines.append(f"{'superuser':<22} username: admin{'':<16} password: {password}")
        for username, role, county, school, label in DEMO_ACCOUNTS:
            if username in real:
                continue
            user_model.objects.filter(username=username).delete()
            school_obj = None
            if school:
                school_obj = School.objects.filter(name__in=school).order_by("-is_demo").first()
            _, password = user_create(
                actor=SYSTEM,
                username=username,
                role=role,
                county=find_county(county) if county else None,
                school=school_obj,
                is_demo=True,
            )
            unit = school_obj.name if school_obj else (county or "")
            lines.append(f"{label:<22} username: {username:<21} password: {password}  {unit}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return lines
