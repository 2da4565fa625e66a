"""Carry a plan out: the only stage that writes to AWS, through :mod:`cffunc.deploy.awsclient`.

A :class:`~cffunc.deploy.plan.Plan` is pure data; :class:`Executor` is the small interpreter that
makes its calls in order (store, function, distributions, deletes) and keeps the one record
of what a command wrote, its :class:`Report`. Every check happened in the planner, so the
executor only writes. A distribution write that meets ``PreconditionFailed`` reads the
config again and re-applies only cffunc's edit; a store write that meets
``ConflictException`` reads the keys again and re-applies its edit; both a bounded number of
times. The distributions of a fleet are written a few at a time
(:mod:`cffunc.deploy.parallel`). The AWS facade refuses a write outside
:func:`~cffunc.deploy.awsclient.executing`, which only this module enters. ``--wait`` is
:mod:`cffunc.deploy.waiting`'s (re-exported here as :func:`wait_deployed`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Protocol

from cffunc.deploy import interrupts
from cffunc.deploy.awsclient import (
    AlreadyExists,
    AwsError,
    CloudFrontClient,
    FunctionInUse,
    InUse,
    KeyValueStoreClient,
    PreconditionFailed,
    StoreConflict,
    executing,
)
from cffunc.deploy.interrupts import Interrupted, one_write
from cffunc.deploy.parallel import DEFAULT_CONCURRENCY, each
from cffunc.deploy.plan import (
    DeleteStep,
    DistributionStep,
    FunctionStep,
    LocalFunction,
    Plan,
    Refusal,
    RemoteDistribution,
    StoreEdit,
    StoreStep,
    associate,
    behaviors_of,
    check_enable,
    disassociate,
    encode_record,
    foreign_slots,
    holds_render,
    is_ours,
    record_tag_keys,
    sibling_arn,
    slot_token,
)
from cffunc.deploy.waiting import wait_deployed as wait_deployed
from cffunc.errors import CffuncError
from cffunc.function.store_layout import KEY_PREFIX
from cffunc.runtime.local_store import write_breach

CONFLICT_RETRIES = 5
DEFAULT_TIMEOUT_SECONDS = 40 * 60
MAX_KEYS_PER_WRITE = 50
"""KeyValueStore UpdateKeys takes at most 50 puts and deletes together."""
Progress = Callable[[str], None]


class Steps(Protocol):
    """Told when each step of a plan starts and when it is done (the CLI shows a step
    once: its line while it runs becomes its done: line)."""

    def started(self, message: str) -> None: ...

    def finished(self, message: str) -> None: ...


@dataclass(frozen=True)
class PlainSteps:
    """A step's message as a progress line when it starts; nothing more."""

    progress: Progress

    def started(self, message: str) -> None:
        self.progress(message)

    def finished(self, message: str) -> None:
        pass


@dataclass(frozen=True)
class SerialSteps:
    """Steps said one at a time: a fleet's threads start and finish steps at once, and a
    terminal's rewritten progress line must not be torn between them."""

    steps: Steps
    lock: threading.RLock

    def started(self, message: str) -> None:
        with self.lock:
            self.steps.started(message)

    def finished(self, message: str) -> None:
        with self.lock:
            self.steps.finished(message)


def _serialized(progress: Progress, lock: threading.RLock) -> Progress:
    def say(message: str) -> None:
        with lock:
            progress(message)

    return say


@dataclass(frozen=True)
class Write:
    """One AWS write the executor made."""

    operation: str
    """The API operation, as the IAM policy names it (UpdateDistribution, kvs:UpdateKeys)."""
    resource: str
    step: str
    """The message of the plan step it was made for."""


@dataclass
class Report:
    """What a command's runs of the executor did: the one record the CLI reports from,
    on success and after a stop alike."""

    done: list[str] = field(default_factory=list)
    """The messages of the steps carried out, in order."""
    writes: list[Write] = field(default_factory=list)
    """Every write made, in order, each recorded before a signal held during it is raised."""
    touched: list[str] = field(default_factory=list)
    """Distribution ids written (the ones ``--wait`` waits for)."""
    conflicts: int = 0
    """Writes re-applied because someone else wrote in between."""
    development: dict[str, str] = field(default_factory=dict)
    """Function name -> its DEVELOPMENT ETag after this run wrote it."""

    def as_json(self) -> dict[str, Any]:
        return {
            "changed": bool(self.done),
            "done": self.done,
            "writes": [
                {"operation": w.operation, "resource": w.resource, "step": w.step}
                for w in self.writes
            ],
            "distributions": self.touched,
            "conflicts": self.conflicts,
        }


class StoreLimitError(CffuncError):
    """A store change CloudFront's KeyValueStore API would refuse (a key, a value or the
    store too large); nothing of it was written."""


class StoreWriter:
    """Conditional writes to one store, re-read and re-applied on a stale ETag; ``made``
    hears of each write made (the executor records it)."""

    def __init__(
        self,
        kv: KeyValueStoreClient,
        arn: str,
        progress: Progress,
        made: Callable[[str], None] = lambda operation: None,
    ) -> None:
        self.kv = kv
        self.arn = arn
        self.progress = progress
        self.made = made
        self.conflicts = 0

    def change(
        self,
        keys: Iterable[str] | Callable[[], Iterable[str]],
        edit: StoreEdit,
        prefix: str | None = None,
    ) -> bool:
        """Read ``keys`` (and every key under ``prefix``, listed), ask ``edit`` for their
        new values (None: delete), write the differences, in the order ``edit`` gives
        them, in one conditional write. Whether anything was written."""
        for _ in range(CONFLICT_RETRIES + 1):
            # The ETag first: a write by anyone after it makes ours fail, so nothing we
            # read below can be overwritten unseen.
            store = self.kv.describe(self.arn)
            etag = store.etag
            wanted_keys = list(keys() if callable(keys) else keys)
            current = {k: self.kv.get(self.arn, k) for k in wanted_keys}
            if prefix is not None:
                current.update(self.kv.keys(self.arn, prefix))
            wanted = edit(dict(current))
            items = [(k, v) for k, v in wanted.items() if current.get(k) != v]
            if not items:
                return False
            # The store's limits, checked before the first write so a refused change leaves
            # it as it was (over 50 keys takes more than one write).
            breach = write_breach(store.size, current, items)
            if breach is not None:
                raise StoreLimitError(f"the KeyValueStore refuses this change: {breach}")
            try:
                self._write(etag, items)
                return True
            except StoreConflict:
                self.conflicts += 1
                self.progress("the store changed meanwhile; reading it again")
        raise AwsError(
            f"the KeyValueStore kept changing while cffunc wrote it ({CONFLICT_RETRIES + 1} "
            "attempts); someone else is writing it: try again when they are done"
        )

    def _write(self, etag: str, items: list[tuple[str, str | None]]) -> None:
        if len(items) == 1:
            key, value = items[0]
            if value is not None:
                self.kv.put_key(self.arn, key, value, etag)
                self.made("kvs:PutKey")
            else:
                self.kv.delete_key(self.arn, key, etag)
                self.made("kvs:DeleteKey")
            return
        # Over 50 keys takes more than one write: not atomic, but each is conditional on
        # the last, and they go in the edit's order (what turns maintenance off first).
        for start in range(0, len(items), MAX_KEYS_PER_WRITE):
            chunk = items[start : start + MAX_KEYS_PER_WRITE]
            etag = self.kv.update_keys(
                self.arn,
                etag,
                {k: v for k, v in chunk if v is not None},
                [k for k, v in chunk if v is None],
            )
            self.made("kvs:UpdateKeys")


@dataclass(frozen=True)
class Written:
    """A distribution this run wrote: the config it replaced and the ETag it got back."""

    id: str
    before: dict[str, Any]
    etag: str


class Incomplete(CffuncError):
    """A command stopped after its first write: what it did (the executor's record), what
    it put back, and, once :func:`cffunc.deploy.operations` has read them, the state it
    left and the commands that undo or finish it."""

    def __init__(
        self,
        report: Report,
        cause: BaseException,
        rolled_back: list[str] | None = None,
        left: list[str] | None = None,
    ) -> None:
        super().__init__(str(cause) or type(cause).__name__)
        self.report = report
        self.cause = cause
        self.rolled_back = rolled_back or []
        """Distributions written by this run and put back as they were."""
        self.left = left or []
        """What could not be put back, in words."""
        self.state: dict[str, Any] | str = "not read"
        """The state read again after the stop (a status document, or why reading failed)."""
        self.undo = ""
        self.again = ""
        """The commands that undo what was done and that finish the job."""


class Executor:
    """Makes the calls a plan lists, in order, and records each write in :attr:`report`
    (one per command: every plan it runs adds to it).

    A step's writes run under one_write: a signal meanwhile waits until the step is done
    and recorded, so a stop never leaves a step half made or a write unrecorded. When a
    write fails after another one was made, the distributions this run wrote are put back
    (all or nothing) and :class:`Incomplete` says what was done; an interrupt is reported
    the same way, without putting back. ``after_write`` hears of each write as it is
    recorded (tests stop a run there).

    The distribution steps of a fleet run ``concurrency`` at a time
    (:func:`cffunc.deploy.parallel.each`): once one fails or a signal waits, no new one
    starts and those on the wire finish, so the record holds every write made before the
    run stops, puts back or reports. The record and what is said are kept under one lock."""

    def __init__(
        self,
        client: CloudFrontClient,
        progress: Progress,
        after_write: Callable[[Write], None] | None = None,
        steps: Steps | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._lock = threading.RLock()
        """Held to record a write or a step, and to say something: the threads of a
        fleet's batch do both at once."""
        self.client = client
        self.progress = _serialized(progress, self._lock)
        self.after_write = after_write
        self.steps = SerialSteps(steps or PlainSteps(progress), self._lock)
        self.concurrency = concurrency
        self.report = Report()
        self.written: list[Written] = []
        self.tagged: list[tuple[str, frozenset[str] | None]] = []
        """(distribution ARN, the record before this run) for each record written."""

    def run(self, plan: Plan) -> Report:
        """Carry ``plan`` out; the record of every run so far."""
        made_before = len(self.report.writes)
        self.written, self.tagged = [], []
        try:
            with executing():
                self._run(plan)
        except Interrupted as interrupt:
            if len(self.report.writes) > made_before:
                raise Incomplete(self.report, interrupt) from None
            raise
        except Exception as error:
            if len(self.report.writes) == made_before:
                raise
            with executing():
                rolled_back, left = self._roll_back(plan)
            raise Incomplete(self.report, error, rolled_back, left) from error
        return self.report

    def _finished(self, message: str) -> None:
        """A step is done: recorded (inside its one_write), and said."""
        with self._lock:
            self.report.done.append(message)
            self.steps.finished(message)

    def _made(self, operation: str, resource: str, step: str) -> None:
        """Record a write that has returned (inside its step's one_write, so a held signal
        is raised only after the record holds it)."""
        write = Write(operation, resource, step)
        with self._lock:
            self.report.writes.append(write)
        if self.after_write is not None:
            self.after_write(write)

    def _run(self, plan: Plan) -> None:
        local = plan.local
        compositions = plan.compositions
        created_arn: str | None = None
        for store_step in plan.store_steps:
            self.steps.started(store_step.message)
            if store_step.action == "create":
                with one_write():
                    created_arn = self.client.create_key_value_store(
                        store_step.store, store_step.comment
                    ).arn
                    self._made("CreateKeyValueStore", store_step.store, store_step.message)
                    self._finished(store_step.message)
                if local is not None:
                    # The functions read the store this plan created: its ARN is known now.
                    placeholder = local.kvs_arn
                    local = replace(local, kvs_arn=created_arn)
                    compositions = tuple(
                        replace(c, local=replace(c.local, kvs_arn=created_arn))
                        if c.local.kvs_arn == placeholder
                        else c
                        for c in compositions
                    )
            else:
                self._store_write(store_step, created_arn)
        arn = plan.remote.arn
        if plan.function_steps:
            assert local is not None, "a plan with function steps names the function"
            arn = self._function(plan.function_steps, local, plan.remote.dev_etag) or arn
        for composition in compositions:
            self._function(composition.steps, composition.local, composition.remote.dev_etag)
        if plan.distribution_steps:
            assert local is not None, "a plan with distribution steps names the function"
            self._distributions(plan, local, arn)
        for delete in plan.delete_steps:
            self._delete(delete)

    def _distributions(self, plan: Plan, local: LocalFunction, arn: str | None) -> None:
        """Every distribution step, a few at once, each under its own one_write. The
        whole batch is one_write for this thread too: a signal meanwhile stops new steps
        from starting (``pending``) and is raised once those on the wire have returned
        and the record holds them."""
        report = self.report

        def carry_out(step: DistributionStep) -> None:
            self.steps.started(step.message)
            edit = self._edit(step, local, arn, plan)
            with one_write():
                if step.edit == "associate":
                    self._record(step, local.name)
                conflicts = self._write(step.distribution, edit, local, plan, step.message)
                if step.edit == "disassociate":
                    self._forget(step, local.name)
                with self._lock:
                    report.conflicts += conflicts
                    report.touched.append(step.distribution.id)
                    self._finished(step.message)

        with one_write():
            first_done, first_touched = len(report.done), len(report.touched)
            outcomes = each(
                plan.distribution_steps, carry_out, self.concurrency, stop=interrupts.pending
            )
            # Steps finish in whatever order the API answers; the record keeps the writes
            # in that true order, while what a person or a log reads lists the finished
            # steps in plan order, the same every run.
            order = {s.message: i for i, s in enumerate(plan.distribution_steps)}
            ids = {s.distribution.id: i for i, s in enumerate(plan.distribution_steps)}
            report.done[first_done:] = sorted(
                report.done[first_done:], key=lambda m: order.get(m, len(order))
            )
            report.touched[first_touched:] = sorted(
                report.touched[first_touched:], key=lambda d: ids.get(d, len(ids))
            )
            failure = next((o.error for o in outcomes if o.error is not None), None)
            if failure is not None:
                raise failure

    def _record(self, step: DistributionStep, name: str) -> None:
        """Before associating: the slots this run adds cffunc's function on, added to the
        distribution's record (its tags: they survive the machine, and tagging deploys
        nothing). disable then removes the function only there."""
        distribution = step.distribution
        if not distribution.arn:
            return
        added = frozenset(
            slot_token(c.behavior, c.event) for c in step.changes if c.change == "add"
        )
        before = distribution.record or frozenset()
        if added <= before and distribution.record is not None:
            return
        self.client.tag_resource(distribution.arn, encode_record(name, before | added))
        self._made("TagResource", distribution.arn, step.message)
        with self._lock:
            self.tagged.append((distribution.arn, distribution.record))

    def _forget(self, step: DistributionStep, name: str) -> None:
        """After disassociating: the record is spent."""
        distribution = step.distribution
        if not distribution.arn or distribution.record is None:
            return
        self.client.untag_resource(distribution.arn, record_tag_keys(name))
        self._made("UntagResource", distribution.arn, step.message)

    def _store_write(self, step: StoreStep, created_arn: str | None) -> None:
        """One conditional write (none when someone made it already)."""
        arn = step.arn or created_arn
        assert arn is not None and step.edit is not None, "a store write names its store"
        self._change_store(step.store, arn, step.message, step.keys, step.edit, step.prefix)

    def _change_store(
        self,
        store: str,
        arn: str,
        message: str,
        keys: Iterable[str] | Callable[[], Iterable[str]],
        edit: StoreEdit,
        prefix: str | None,
    ) -> None:
        writer = StoreWriter(
            self.client.key_value_store_client(), arn, self.progress,
            lambda operation: self._made(operation, store, message),
        )  # fmt: skip
        with one_write():
            if writer.change(keys, edit, prefix):
                self._finished(message)
        self.report.conflicts += writer.conflicts

    def _function(
        self, steps: Sequence[FunctionStep], local: LocalFunction, dev_etag: str | None
    ) -> str | None:
        """Create/update DEVELOPMENT and publish; the function's ARN when it was created."""
        arn = None
        for step in steps:
            self.steps.started(step.message)
            with one_write():
                if step.action == "create":
                    dev_etag, arn = self._create(local, step.message)
                elif step.action == "update":
                    assert dev_etag is not None
                    dev_etag = self.client.update_function(
                        local.name, dev_etag, local.runtime, local.comment, local.rendered,
                        local.kvs_arn,
                    )  # fmt: skip
                    self._made("UpdateFunction", local.name, step.message)
                else:
                    assert dev_etag is not None
                    self._publish(local, dev_etag, step.message)
                if dev_etag is not None:
                    self.report.development[local.name] = dev_etag
                self._finished(step.message)
        return arn

    def _create(self, local: LocalFunction, message: str) -> tuple[str, str]:
        """Create the function; when another run created it meanwhile (two enables at
        once), carry on with theirs, made to hold our code."""
        try:
            created = self.client.create_function(
                local.name, local.runtime, local.comment, local.rendered, local.kvs_arn
            )
            self._made("CreateFunction", local.name, message)
            return created
        except AlreadyExists:
            self.progress(f"{local.name} was created meanwhile (another run?); using it")
        dev = self.client.describe_function(local.name, "DEVELOPMENT")
        if dev is None:
            raise AwsError(f"{local.name} exists and does not; try again")
        code = self.client.function_code(local.name, "DEVELOPMENT")
        if holds_render(local, code, dev.runtime, dev.comment, dev.kvs_arns):
            return dev.etag, dev.arn
        etag = self.client.update_function(
            local.name, dev.etag, local.runtime, local.comment, local.rendered, local.kvs_arn
        )
        self._made("UpdateFunction", local.name, message)
        return etag, dev.arn

    def _publish(self, local: LocalFunction, dev_etag: str, message: str) -> None:
        """Publish DEVELOPMENT; when another run changed it meanwhile, publish it if it
        holds our code (the same config renders the same bytes), else stop."""
        try:
            self.client.publish_function(local.name, dev_etag)
            self._made("PublishFunction", local.name, message)
            return
        except PreconditionFailed:
            self.progress(f"{local.name} DEVELOPMENT changed meanwhile; reading it again")
        dev = self.client.describe_function(local.name, "DEVELOPMENT")
        code = self.client.function_code(local.name, "DEVELOPMENT")
        if dev is None or not holds_render(local, code, dev.runtime, dev.comment, dev.kvs_arns):
            raise AwsError(
                f"{local.name} DEVELOPMENT was changed by someone else to other code while "
                "cffunc published it; run the command again"
            )
        self.client.publish_function(local.name, dev.etag)
        self._made("PublishFunction", local.name, message)

    def _delete(self, step: DeleteStep) -> None:
        """Delete a function or a store (conditional on the ETag planned with), or cffunc's
        keys from a store it keeps. Still in use: the step's error, or, without one, kept."""
        self.steps.started(step.message)
        if step.kind == "keys":
            self._change_store(
                step.name, step.arn, step.message,
                lambda: self.client.key_value_store_client().keys(step.arn, KEY_PREFIX),
                lambda current: dict.fromkeys(current, None), None,
            )  # fmt: skip
            return
        try:
            with one_write():
                if step.kind == "function":
                    self.client.delete_function(step.name, step.etag)
                    self._made("DeleteFunction", step.name, step.message)
                else:
                    self.client.delete_key_value_store(step.name, step.etag)
                    self._made("DeleteKeyValueStore", step.name, step.message)
                self._finished(step.message)
        except (FunctionInUse, InUse):
            if step.in_use is not None:
                raise CffuncError(step.in_use) from None
            self.progress(f"{step.name} is still associated; kept")

    @staticmethod
    def _edit(
        step: DistributionStep, local: LocalFunction, arn: str | None, plan: Plan
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        if step.edit == "disassociate":
            return partial(
                disassociate, name=local.name, restore=plan.restore,
                only=step.distribution.record,
            )  # fmt: skip
        if arn is None:
            raise AwsError(f"function {local.name} has no ARN yet; publish it first")
        compositions = {c.foreign_arn: c.arn for c in plan.compositions}
        return partial(
            associate, local=local, arn=arn, patterns=step.distribution.behaviors,
            compositions=compositions,
        )  # fmt: skip

    def _write(
        self,
        distribution: RemoteDistribution,
        edit: Callable[[dict[str, Any]], dict[str, Any]],
        local: LocalFunction | None = None,
        plan: Plan | None = None,
        step: str | None = None,
    ) -> int:
        """Apply ``edit`` and write; on a stale ETag read again, check again what the
        planner checked, and re-apply. Conflicts met. ``step``: the step it is made for
        (None: putting a distribution back, which the rollback reports)."""
        config, etag = distribution.config, distribution.etag
        for attempt in range(CONFLICT_RETRIES + 1):
            if attempt and local is not None and plan is not None and plan.local is not None:
                _recheck(replace(distribution, config=config, etag=etag), local, plan)
            changed = edit(config)
            if changed is config:
                return attempt  # someone else already made our change
            try:
                new_etag = self.client.update_distribution(distribution.id, etag, changed)
            except PreconditionFailed:
                self.progress(f"{distribution.id} changed meanwhile; reading it again")
                current = self.client.distribution_config(distribution.id)
                config, etag = current.config, current.etag
                continue
            if step is not None:
                self._made("UpdateDistribution", distribution.id, step)
            with self._lock:
                self.written.append(Written(distribution.id, config, new_etag))
            return attempt
        raise AwsError(
            f"{distribution.id} kept changing while cffunc wrote it "
            f"({CONFLICT_RETRIES + 1} attempts); "
            "someone else is editing it: try again when they are done"
        )

    def _roll_back(self, plan: Plan) -> tuple[list[str], list[str]]:
        """Put back the distributions this run wrote, newest first: the config as it was,
        with the ETag the write returned (so a change someone made since is never lost:
        then cffunc's own edit is undone instead). (put back, what is left)."""
        rolled_back, left = [], []
        for written in reversed(list(self.written)):
            self.progress(f"putting {written.id} back as it was before this run")
            try:
                with one_write():
                    self.client.update_distribution(written.id, written.etag, written.before)
                rolled_back.append(written.id)
                continue
            except PreconditionFailed:
                pass
            except Exception as error:
                left.append(f"{written.id}: could not be put back ({error})")
                continue
            try:
                local = plan.local
                assert local is not None
                undo: Callable[[dict[str, Any]], dict[str, Any]]
                steps = [s for s in plan.distribution_steps if s.distribution.id == written.id]
                if any(s.edit == "associate" for s in plan.distribution_steps):
                    restore = {c.arn: c.foreign_arn for c in plan.compositions}
                    added = frozenset(
                        slot_token(c.behavior, c.event)
                        for s in steps for c in s.changes if c.change == "add"
                    )  # fmt: skip
                    undo = partial(disassociate, name=local.name, restore=restore, only=added)
                else:
                    back = {v: k for k, v in plan.restore.items()}
                    undo = partial(
                        associate, local=local, arn=_our_arn(written.before, local.name),
                        patterns=None, compositions=back,
                    )  # fmt: skip
                current = self.client.distribution_config(written.id)
                with one_write():
                    self._write(
                        RemoteDistribution(written.id, current.config, current.etag, None), undo
                    )
                rolled_back.append(written.id)
            except Exception as error:
                left.append(f"{written.id}: could not be put back ({error})")
        for arn, record in reversed(self.tagged):
            try:
                local = plan.local
                assert local is not None
                with one_write():
                    if record is None:
                        self.client.untag_resource(arn, record_tag_keys(local.name))
                    else:
                        self.client.tag_resource(arn, encode_record(local.name, record))
            except Exception as error:
                left.append(f"the record on {arn} could not be put back ({error})")
        return rolled_back, left


def _our_arn(config: dict[str, Any], name: str) -> str:
    """Our function's ARN as a config that had it names it (or a composition of it)."""
    for _, behavior in behaviors_of(config):
        for item in (behavior.get("FunctionAssociations") or {}).get("Items") or []:
            arn = str(item.get("FunctionARN"))
            if is_ours(arn, name):
                return sibling_arn(arn, name)
    raise AwsError(f"the config before this run names no {name}")


def _recheck(distribution: RemoteDistribution, local: LocalFunction, plan: Plan) -> None:
    """What the planner refused, refused again on a config someone else changed (a
    Lambda@Edge viewer function or a new foreign function since the plan was made)."""
    if not any(s.edit == "associate" for s in plan.distribution_steps):
        return
    check_enable(local, distribution)
    planned = {c.foreign_arn for c in plan.compositions}
    new = set(foreign_slots(local, [distribution])) - planned
    if new:
        raise Refusal(
            f"distribution {distribution.label or distribution.id} changed while cffunc wrote "
            f"it: {', '.join(sorted(new))} now runs on a slot cffunc needs; run the command "
            "again to compose with it"
        )
