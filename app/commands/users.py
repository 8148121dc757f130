"""``tda users add NAME --role ROLE`` and ``tda users list``: logins in ``TDA_DATA_DIR/users.json``."""

from __future__ import annotations

import getpass
import sys

from app.settings import ROLES, load_settings


def register(subparsers) -> None:
    """Add the ``users`` verb to the CLI."""
    parser = subparsers.add_parser("users", help="logins beheren (users.json in TDA_DATA_DIR)")
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="login aanmaken; wachtwoord wordt gevraagd (of via stdin)")
    add.add_argument("name", help="gebruikersnaam")
    add.add_argument("--role", required=True, choices=ROLES, help="rol, vast aan deze login")
    add.add_argument("--replace", action="store_true", help="bestaande login overschrijven")
    add.set_defaults(func=_add)
    lst = sub.add_parser("list", help="logins en rollen tonen (geen wachtwoorden)")
    lst.set_defaults(func=_list)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Wachtwoord: ")
        second = getpass.getpass("Herhaal wachtwoord: ")
        if first != second:
            raise ValueError("de wachtwoorden zijn niet gelijk")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _add(args) -> int:
    from app.auth import UserStore

    store = UserStore.for_data_dir(load_settings().data_dir)
    store.create_user(args.name, _read_password(), args.role, replace=args.replace)
    print(f"login {args.name!r} met rol {args.role} opgeslagen in {store.path}")
    return 0


def _list(args) -> int:
    from app.auth import UserStore

    store = UserStore.for_data_dir(load_settings().data_dir)
    users = store.list_users()
    if not users:
        print(f"geen logins ({store.path} bestaat niet of is leeg)")
        return 0
    for user in users:
        print(f"{user['name']:<24} {user['role']:<12} {user['created']}")
    return 0
