#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if not command.startswith("-"):
        from core.secret_key import COMMANDS_WITHOUT_SECRETS, secret_key_require

        if command not in COMMANDS_WITHOUT_SECRETS:
            secret_key_require(f"manage.py {command}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
