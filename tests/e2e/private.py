"""A server with a staff channel and a moderator of one side channel (issue 13).

- ``#side`` gives Cam Manage Messages and Manage Threads by a member overwrite: a
  moderator of that channel only, a plain member everywhere else.
- ``#staff`` denies View Channel to @everyone and allows it to the Staff role (Sol), the
  server's moderator Mia (by a member overwrite) and the bot. Max is a moderator of the
  whole server (by role) who is not let into ``#staff``.
- A prompt thread in each of ``#films``, ``#side`` and ``#staff``, each with comments and
  votes; the staff thread's text all carries :data:`SECRET`, and one of its comments is
  deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.emulator import ChannelRef, MemberRef, Permissions
from tests.e2e.harness import MODERATOR, RunningBot, World
from tests.e2e.moderating import run, text

#: In every piece of the staff thread's text, and nowhere else.
SECRET = "SECRET-7f3a"
MANAGE = Permissions.MANAGE_MESSAGES | Permissions.MANAGE_THREADS
STAFF_ARTICLE = "portrait-of-a-lady-on-fire-looking-back"
STAFF_TITLE = "Portrait of a Lady on Fire"


def overwrite(target: int, kind: int, allow: int = 0, deny: int = 0) -> dict[str, Any]:
    """A permission overwrite: kind 0 is a role, 1 a member."""
    return {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}


@dataclass(frozen=True)
class Private:
    cam: MemberRef  # moderator of #side only
    sol: MemberRef  # staff
    max: MemberRef  # server-wide moderator, not in #staff
    side: ChannelRef
    staff: ChannelRef
    films_thread: int
    side_thread: int
    staff_thread: int
    films_comment: int
    side_comment: int
    staff_comment: int
    staff_deleted: int

    def targets(self, where: str) -> dict[str, Any]:
        """The options naming a thread, a comment and a channel in ``where``."""
        thread, comment, channel = {
            "films": (self.films_thread, self.films_comment, None),
            "side": (self.side_thread, self.side_comment, self.side.id),
            "staff": (self.staff_thread, self.staff_comment, self.staff.id),
        }[where]
        return {"thread": thread, "comment": comment, "channel": channel}


async def post_in(world: World, slug: str, channel_id: int) -> int:
    """The moderator posts ``slug`` in ``channel_id``; returns the new thread's id."""
    before = set(world.emu.threads)
    inter = await run(world, world.mod, world.channel, "prompt post",
                      {"article": slug, "channel": channel_id})
    new = [t for t in world.emu.threads if t not in before]
    assert len(new) == 1, text(inter)
    return new[0]


async def build(world: World, runner: RunningBot) -> Private:
    emu = world.emu
    guild = world.guild.id
    staff_role = emu.add_role(guild, "Staff", Permissions.DEFAULT)
    cam = emu.add_member(guild, "Cam Channelmod")
    sol = emu.add_member(guild, "Sol Staff", roles=[staff_role])
    max_ = emu.add_member(guild, "Max Servermod", permissions=MODERATOR)
    side = emu.add_text_channel(guild, "side", overwrites=[overwrite(cam.id, 1, allow=MANAGE)])
    staff = emu.add_text_channel(guild, "staff", overwrites=[
        overwrite(guild, 0, deny=Permissions.VIEW_CHANNEL),
        overwrite(staff_role, 0, allow=Permissions.VIEW_CHANNEL),
        overwrite(world.mod.id, 1, allow=Permissions.VIEW_CHANNEL),
        overwrite(emu.bot_user_id, 1, allow=Permissions.VIEW_CHANNEL),
    ])
    await runner.settle()
    films_thread = await post_in(world, "vertigo-the-second-fall", world.channel.id)
    side_thread = await post_in(world, "paddington-2-kindness", side.id)
    staff_thread = await post_in(world, STAFF_ARTICLE, staff.id)
    ana, ben = world.members[:2]
    films = await emu.say(ana.id, films_thread, "The tower is the real protagonist.")
    await emu.say(ben.id, films_thread, "It is the staircase.", reply_to=films["id"])
    await emu.react(ben.id, films["id"], "👍")
    side_said = await emu.say(ana.id, side_thread, "Marmalade as politics.")
    await emu.react(ben.id, side_said["id"], "👍")
    secret = await emu.say(sol.id, staff_thread, f"{SECRET} staff plan: ban the trolls.")
    await emu.say(sol.id, staff_thread, f"{SECRET} and a second thought.", reply_to=secret["id"])
    deleted = await emu.say(sol.id, staff_thread, f"{SECRET} deleted words.")
    await emu.delete(deleted["id"])
    await emu.react(world.mod.id, secret["id"], "👍")
    await runner.settle()
    return Private(cam, sol, max_, side, staff, films_thread, side_thread, staff_thread,
                   int(films["id"]), int(side_said["id"]), int(secret["id"]),
                   int(deleted["id"]))
