import subprocess
import sys


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dichvucong.settings'; django.setup()",
        ],
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_default_secret() -> None:
    result = _start({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "portal.example"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = _start(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 50,
            "DEBUG": "true",
            "ALLOWED_HOSTS": "portal.example",
        }
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_starts_with_real_settings() -> None:
    result = _start({"DJANGO_ENV": "production", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "portal.example"})
    assert result.returncode == 0, result.stderr
