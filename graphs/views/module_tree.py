"""The module calls of a record as a tree: what folding walks.

Every op knows the module call that made it (`Node.module`, `Node.call`,
`GraphRecord.modules`), so the calls form a tree. Besides the tree this
holds each call's key (its name in a folding state), the runs of repeated
calls (`graphs.views.repeats`) and each node's *owner*: the call whose
collapse hides it.
"""

from __future__ import annotations

from graphs.record.model import GraphRecord, ModuleCall, Node
from graphs.views.repeats import find_runs

# Rounds of `ModuleTree._owners` at most (a record torch made settles in two or three).
_OWNER_ROUNDS = 16


def key_of(call: ModuleCall) -> str:
    """The name a module call has in a folding state: its path, with `@n` from its second call."""
    return call.path if call.call == 0 else f"{call.path}@{call.call}"


class ModuleTree:
    """The module calls of a record as a tree, with runs and each node's owner.

    `shown` limits it to the nodes one figure draws (`GraphRecord.shown_nodes`).
    """

    def __init__(self, record: GraphRecord, shown: set[str] | None = None) -> None:
        self.calls = record.modules
        self.lines = (record.source or "").splitlines()  # what a loop's box quotes of its statement
        self._loop_starts: dict[tuple[int | None, str], int] | None = None  # see `iteration`
        self.keys = [key_of(call) for call in self.calls]
        self.repeated_paths = {call.path for call in self.calls if call.call > 0}
        self.node_ids = [node.id for node in record.nodes if shown is None or node.id in shown]
        kept = set(self.node_ids)
        self.edges = [(e.src, e.dst) for e in record.edges if e.src in kept and e.dst in kept]
        self.children: dict[int | None, list[int]] = {None: []}
        for index, call in enumerate(self.calls):
            self.children.setdefault(index, [])
            self.children.setdefault(call.parent, []).append(index)
        by_id = {node.id: node for node in record.nodes}
        self.made_in = self._made_in(by_id)
        self.consumers = self._consumers(record, kept)
        self.kinds = {node_id: by_id[node_id].kind for node_id in self.node_ids}
        self.run_of = find_runs(self, by_id)
        self.owner = self._owners()
        owned: dict[int | None, list[str]] = {}
        for node_id in self.node_ids:
            owned.setdefault(self.owner[node_id], []).append(node_id)
        self.owned = owned
        self.populated = self._populated()

    def iteration(self, index: int) -> int:
        """A loop iteration's number within its loop's run: its call number less
        the first one its loop ran under the same parent (a loop inside a
        function counts its iterations on from one call of it to the next)."""
        call = self.calls[index]
        if self._loop_starts is None:
            starts: dict[tuple[int | None, str], int] = {}
            for other in self.calls:
                where = (other.parent, other.path)
                starts[where] = min(starts.get(where, other.call), other.call)
            self._loop_starts = starts
        return call.call - self._loop_starts[(call.parent, call.path)]

    def _made_in(self, by_id: dict[str, Node]) -> dict[str, int | None]:
        """Each node's call: the index in `calls` of the module call that made it (None: the top)."""
        index_of = {(call.path, call.call): index for index, call in enumerate(self.calls)}
        return {
            node_id: index_of.get((by_id[node_id].module, by_id[node_id].call)) for node_id in self.node_ids
        }

    def _consumers(self, record: GraphRecord, kept: set[str]) -> dict[str, list[str]]:
        """Each node -> the drawn nodes that read it (a constant's readers too)."""
        consumers: dict[str, list[str]] = {node_id: [] for node_id in self.node_ids}
        for src, dst in self.edges:
            consumers[dst].append(src)
        for edge in record.no_grad_edges:  # a constant folds away with the ops that read it
            if edge.kind == "constant" and edge.src in kept and edge.dst in kept:
                consumers[edge.dst].append(edge.src)
        return consumers

    def chain(self, index: int | None) -> list[int]:
        """`index` and the calls it ran inside, innermost first."""
        found = []
        while index is not None:
            found.append(index)
            index = self.calls[index].parent
        return found

    def _owners(self) -> dict[str, int | None]:
        """The call whose collapse hides each node. An op is owned by the call
        that made it, unless its parent made it only for one member of a run
        (then by that member); a leaf by the lowest call all its users share;
        an output by nobody (always drawn)."""
        owner: dict[str, int | None] = {
            node_id: self.made_in[node_id] for node_id in self.node_ids if self.kinds[node_id] == "op"
        }
        changed, rounds = True, 0
        # Consumers first: a few rounds settle a record torch made. The cap keeps a
        # forged record (a long chain listed producers first) from taking one round per node.
        while changed and rounds < _OWNER_ROUNDS:
            changed, rounds = self._hand_to_members(owner), rounds + 1
        for node_id in self.node_ids:
            kind = self.kinds[node_id]
            if kind == "leaf":
                owner[node_id] = self._meeting([owner.get(user) for user in self.consumers[node_id]])
            elif kind == "output":
                owner[node_id] = None
        return owner

    def _hand_to_members(self, owner: dict[str, int | None]) -> bool:
        """One round: an op whose every user is one run member, a child of the
        call that made the op, goes to that member. Whether any op moved."""
        changed = False
        for node_id in self.node_ids:
            if self.kinds[node_id] != "op" or not self.consumers[node_id]:
                continue
            users = {owner.get(user, -1) for user in self.consumers[node_id]}
            if len(users) != 1:
                continue
            (user,) = users
            if (
                user in self.run_of
                and user != owner[node_id]
                and self.calls[user].parent == self.made_in[node_id]
            ):
                owner[node_id] = user
                changed = True
        return changed

    def _meeting(self, owners: list[int | None]) -> int | None:
        """The lowest call that holds all of `owners` (None: the top)."""
        if not owners:
            return None
        common = self.chain(owners[0])
        for other in owners[1:]:
            if not common:
                return None
            holds = set(self.chain(other))
            common = [index for index in common if index in holds]
        return common[0] if common else None

    def _populated(self) -> set[int]:
        """Calls with at least one drawn node inside (a filtered view may empty some)."""
        found: set[int] = set()
        for owner in self.owned:
            for index in self.chain(owner):
                if index in found:
                    break
                found.add(index)
        return found

    def subtree(self, index: int) -> list[int]:
        """`index` and every call made inside it."""
        found, stack = [], [index]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found

    def units(self, parent: int | None, expanded: frozenset[str]) -> list[tuple[int, ...]]:
        """The parent's child calls as drawn: runs split around expanded members,
        each remaining stretch one unit (a box), an expanded call a unit of one."""
        units: list[tuple[int, ...]] = []
        done: set[int] = set()
        for index in self.children.get(parent, ()):
            if index in done or index not in self.populated:
                continue
            run = [member for member in self.run_of.get(index, (index,)) if member in self.populated]
            done.update(run)
            stretch: list[int] = []
            for member in run:
                if self.keys[member] in expanded:
                    if stretch:
                        units.append(tuple(stretch))
                    units.append((member,))
                    stretch = []
                else:
                    stretch.append(member)
            if stretch:
                units.append(tuple(stretch))
        return units

    def all_keys(self) -> frozenset[str]:
        return frozenset(self.keys[index] for index in self.populated)
