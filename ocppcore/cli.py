"""`ocppcore`: serve, and the administration an operator does without HTTP.

The composition root: builds the configuration, the store and the service. Admin commands write
straight to the store (LMDB is multi-process, so they work while the server runs and take
effect at once) and print JSON on stdout; errors go to stderr with exit status 1 (2 for usage).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import resource
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import trio

from ocppcore.clock import now_ms, to_ms
from ocppcore.config import Config, ConfigError, connection_urls, load
from ocppcore.service import Service
from store import admin, rebuild
from store.errors import StoreError
from store.ids import new_id
from store.log import Store

log = logging.getLogger("ocppcore")


def _rfc3339(text: str) -> int:
    try:
        return to_ms(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 timestamp: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="TOML file with settings")
    common.add_argument(
        "--data", metavar="DIR", help="data directory (default ./data, env OCPPCORE_DATA)"
    )

    parser = argparse.ArgumentParser(
        prog="ocppcore", description="OCPP 1.6J central system with an embedded event store"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", parents=[common], help="run the central system and the HTTP API"
    )
    serve.add_argument("--ocpp-host")
    serve.add_argument("--ocpp-port", type=int)
    serve.add_argument("--http-host")
    serve.add_argument("--http-port", type=int)
    serve.add_argument("--heartbeat-interval", type=int, metavar="SECONDS")
    serve.add_argument("--allow-unknown-chargers", action="store_const", const=True, default=None)
    serve.set_defaults(run=_serve)

    keys = commands.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", parents=[common], help="create an API key and print it")
    create.add_argument("--account", default=admin.DEFAULT_ACCOUNT)
    create.set_defaults(run=_keys_create)
    revoke = keys.add_parser(
        "revoke", parents=[common], help="revoke the key starting with KEY_PREFIX"
    )
    revoke.add_argument("prefix", metavar="KEY_PREFIX")
    revoke.set_defaults(run=_keys_revoke)

    chargers = commands.add_parser("chargers", help="charge points").add_subparsers(
        dest="action", required=True
    )
    add = chargers.add_parser(
        "add", parents=[common], help="register a charge point (or update it)"
    )
    add.add_argument("id", metavar="ID", help="the chargePointId")
    add.add_argument("--account", default=admin.DEFAULT_ACCOUNT)
    add.add_argument("--password", help="require HTTP Basic auth with this password")
    add.add_argument("--rotate-token", action="store_true", help="issue a new connection token")
    add.add_argument(
        "--registration",
        choices=["accepted", "pending", "rejected"],
        help="what BootNotification answers it (default accepted; unchanged on update)",
    )
    add.set_defaults(run=_chargers_add)

    id_tags = commands.add_parser("id-tags", help="the idTag registry").add_subparsers(
        dest="action", required=True
    )
    tag = id_tags.add_parser("add", parents=[common], help="add or update an idTag")
    tag.add_argument("tag", metavar="TAG")
    tag.add_argument("--account", default=admin.DEFAULT_ACCOUNT)
    tag.add_argument("--driver")
    tag.add_argument("--vehicle")
    tag.add_argument("--fleet")
    tag.add_argument("--parent", metavar="TAG")
    tag.add_argument("--expires", type=_rfc3339, metavar="RFC3339")
    tag.add_argument("--status", choices=["Accepted", "Blocked", "Expired"], default="Accepted")
    tag.set_defaults(run=_id_tags_add)

    tariff = commands.add_parser("tariff", help="account tariffs").add_subparsers(
        dest="action", required=True
    )
    tariff_set = tariff.add_parser("set", parents=[common], help="set an account's tariff")
    tariff_set.add_argument("--account", default=admin.DEFAULT_ACCOUNT)
    tariff_set.add_argument("--price-per-kwh", type=int, required=True, metavar="MINOR_UNITS")
    tariff_set.add_argument("--currency", required=True)
    tariff_set.add_argument("--country", required=True)
    tariff_set.set_defaults(run=_tariff_set)

    accounts = commands.add_parser("accounts", help="accounts").add_subparsers(
        dest="action", required=True
    )
    account_set = accounts.add_parser(
        "set", parents=[common], help="create an account or change it"
    )
    account_set.add_argument("name", metavar="NAME")
    account_set.add_argument("--id-tag-policy", choices=["open", "registry"])
    account_set.set_defaults(run=_accounts_set)

    views = commands.add_parser("views", help="materialized views").add_subparsers(
        dest="action", required=True
    )
    views_rebuild = views.add_parser(
        "rebuild", parents=[common], help="replay the log into fresh views"
    )
    views_rebuild.add_argument("--check", action="store_true", help="compare only; change nothing")
    views_rebuild.set_defaults(run=_views_rebuild)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        name: getattr(args, name, None)
        for name in (
            "data",
            "ocpp_host",
            "ocpp_port",
            "http_host",
            "http_port",
            "heartbeat_interval",
            "allow_unknown_chargers",
        )
    }
    try:
        config = load(args.config, overrides)
    except ConfigError as exc:
        print(f"ocppcore: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=config.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    run: Callable[[argparse.Namespace, Config], int] = args.run
    try:
        return run(args, config)
    except StoreError as exc:
        print(f"ocppcore: {exc.message}", file=sys.stderr)
        return 1


# --- serve ---------------------------------------------------------------------------------


# The garbage collector's thresholds for a server holding thousands of connections (see _serve);
# the benchmarks' load processes and echo ceiling use them too.
GC_THRESHOLDS = (100_000, 50, 100)


def _serve(args: argparse.Namespace, config: Config) -> int:
    _raise_open_file_limit()
    # Thousands of connections make a heap of millions of long-lived objects. With the default
    # thresholds every message's short-lived objects that happen to be alive at a young
    # collection are promoted, and full collections (a second each at 10,000 connections,
    # measured) follow every few seconds, stalling every charger. A larger young generation
    # lets them die young: full collections become rare (bench/README.md, `scale connected`).
    gc.set_threshold(*GC_THRESHOLDS)
    trio.run(_serve_until_signalled, config)
    return 0


def _raise_open_file_limit() -> None:
    """Every charger holds a socket: the common soft limit of 1,024 descriptors would refuse
    connections long before the server runs out of anything else, so lift it to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == hard:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:  # e.g. an unlimited hard limit the kernel caps lower
        log.warning("open file limit stays at %d: %s", soft, exc)
    else:
        log.info("open file limit raised from %d to %d", soft, hard)


async def _serve_until_signalled(config: Config) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            service: Service = await nursery.start(Service(config).run)
            async for signum in signals:
                log.info("received %s", signal.Signals(signum).name)
                service.stop()
                break


# --- administration ------------------------------------------------------------------------


def _apply(config: Config, build: Callable[[Any], admin.Change]) -> int:
    store = Store(config.data, map_size=config.map_size)
    try:
        with store.read() as reader:
            change = build(reader)
        for receipt in store.commit(change.events) if change.events else []:
            if receipt.error is not None:
                raise receipt.error
    finally:
        store.close()
    print(json.dumps(change.output))
    return 0


def _keys_create(args: argparse.Namespace, config: Config) -> int:
    return _apply(
        config,
        lambda r: admin.create_api_key(
            admin.account_named(r, args.account), now=now_ms(), new_id=new_id
        ),
    )


def _keys_revoke(args: argparse.Namespace, config: Config) -> int:
    return _apply(config, lambda r: admin.revoke_api_key(r, args.prefix, now=now_ms()))


def _chargers_add(args: argparse.Namespace, config: Config) -> int:
    def build(reader: Any) -> admin.Change:
        change = admin.add_charger(
            reader,
            args.id,
            account_name=args.account,
            password=args.password,
            rotate_token=args.rotate_token,
            now=now_ms(),
            new_id=new_id,
            registration=args.registration,
        )
        change.output.update(connection_urls(config, args.id, change.output["connection_token"]))
        return change

    return _apply(config, build)


def _id_tags_add(args: argparse.Namespace, config: Config) -> int:
    return _apply(
        config,
        lambda r: admin.set_id_tag(
            r,
            args.tag,
            account_name=args.account,
            status=args.status,
            expiry=args.expires,
            parent=args.parent,
            driver=args.driver,
            vehicle=args.vehicle,
            fleet=args.fleet,
            now=now_ms(),
        ),
    )


def _tariff_set(args: argparse.Namespace, config: Config) -> int:
    return _apply(
        config,
        lambda r: admin.set_tariff(
            r,
            args.account,
            price_per_kwh=args.price_per_kwh,
            currency=args.currency,
            country=args.country,
            now=now_ms(),
        ),
    )


def _accounts_set(args: argparse.Namespace, config: Config) -> int:
    return _apply(
        config,
        lambda r: admin.set_account(
            r, args.name, id_tag_policy=args.id_tag_policy, now=now_ms(), new_id=new_id
        ),
    )


def _views_rebuild(args: argparse.Namespace, config: Config) -> int:
    store = Store(config.data, map_size=config.map_size)
    try:
        result = rebuild.rebuild(store, apply=not args.check)
    finally:
        store.close()
    print(json.dumps(result))
    return 0 if result["equal"] or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
