"""Numbers Discord uses on the wire: permission bits, intents, channel types, error codes."""

from __future__ import annotations

from typing import Final


class Permissions:
    """Permission bits as plain ints, so they combine with ``|`` and serialise with ``str()``."""

    CREATE_INSTANT_INVITE: Final = 1 << 0
    KICK_MEMBERS: Final = 1 << 1
    BAN_MEMBERS: Final = 1 << 2
    ADMINISTRATOR: Final = 1 << 3
    MANAGE_CHANNELS: Final = 1 << 4
    MANAGE_GUILD: Final = 1 << 5
    ADD_REACTIONS: Final = 1 << 6
    VIEW_AUDIT_LOG: Final = 1 << 7
    PRIORITY_SPEAKER: Final = 1 << 8
    STREAM: Final = 1 << 9
    VIEW_CHANNEL: Final = 1 << 10
    SEND_MESSAGES: Final = 1 << 11
    SEND_TTS_MESSAGES: Final = 1 << 12
    MANAGE_MESSAGES: Final = 1 << 13
    EMBED_LINKS: Final = 1 << 14
    ATTACH_FILES: Final = 1 << 15
    READ_MESSAGE_HISTORY: Final = 1 << 16
    MENTION_EVERYONE: Final = 1 << 17
    USE_EXTERNAL_EMOJIS: Final = 1 << 18
    CONNECT: Final = 1 << 20
    SPEAK: Final = 1 << 21
    CHANGE_NICKNAME: Final = 1 << 26
    MANAGE_NICKNAMES: Final = 1 << 27
    MANAGE_ROLES: Final = 1 << 28
    MANAGE_WEBHOOKS: Final = 1 << 29
    USE_APPLICATION_COMMANDS: Final = 1 << 31
    MANAGE_EVENTS: Final = 1 << 33
    MANAGE_THREADS: Final = 1 << 34
    CREATE_PUBLIC_THREADS: Final = 1 << 35
    CREATE_PRIVATE_THREADS: Final = 1 << 36
    SEND_MESSAGES_IN_THREADS: Final = 1 << 38
    MODERATE_MEMBERS: Final = 1 << 40
    SEND_POLLS: Final = 1 << 49  # a fresh server's @everyone has it too; kept out of DEFAULT

    #: What the @everyone role of a fresh server grants: a plain member.
    DEFAULT: Final = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | STREAM
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
    )
    #: Every bit above.
    ALL: Final = (1 << 41) - 1
    #: What the emulated bot is granted unless the test says otherwise.
    BOT: Final = (
        DEFAULT
        | MANAGE_MESSAGES
        | MANAGE_THREADS
        | MANAGE_WEBHOOKS
        | MENTION_EVERYONE
        | SEND_POLLS
    )


class Intents:
    """Gateway intent bits (only the ones the emulator filters on)."""

    GUILDS: Final = 1 << 0
    GUILD_MEMBERS: Final = 1 << 1
    GUILD_MODERATION: Final = 1 << 2
    GUILD_PRESENCES: Final = 1 << 8
    GUILD_MESSAGES: Final = 1 << 9
    GUILD_MESSAGE_REACTIONS: Final = 1 << 10
    GUILD_MESSAGE_TYPING: Final = 1 << 11
    DIRECT_MESSAGES: Final = 1 << 12
    MESSAGE_CONTENT: Final = 1 << 15
    GUILD_MESSAGE_POLLS: Final = 1 << 24


#: Which intent a dispatch event needs; events not listed are always sent.
EVENT_INTENTS: Final[dict[str, int]] = {
    "GUILD_CREATE": Intents.GUILDS,
    "GUILD_UPDATE": Intents.GUILDS,
    "GUILD_DELETE": Intents.GUILDS,
    "GUILD_ROLE_CREATE": Intents.GUILDS,
    "GUILD_ROLE_UPDATE": Intents.GUILDS,
    "GUILD_ROLE_DELETE": Intents.GUILDS,
    "CHANNEL_CREATE": Intents.GUILDS,
    "CHANNEL_UPDATE": Intents.GUILDS,
    "CHANNEL_DELETE": Intents.GUILDS,
    "CHANNEL_PINS_UPDATE": Intents.GUILDS,
    "THREAD_CREATE": Intents.GUILDS,
    "THREAD_UPDATE": Intents.GUILDS,
    "THREAD_DELETE": Intents.GUILDS,
    "THREAD_LIST_SYNC": Intents.GUILDS,
    "THREAD_MEMBER_UPDATE": Intents.GUILDS,
    "THREAD_MEMBERS_UPDATE": Intents.GUILDS,
    "GUILD_MEMBER_ADD": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": Intents.GUILD_MEMBERS,
    "MESSAGE_CREATE": Intents.GUILD_MESSAGES,
    "MESSAGE_UPDATE": Intents.GUILD_MESSAGES,
    "MESSAGE_DELETE": Intents.GUILD_MESSAGES,
    "MESSAGE_DELETE_BULK": Intents.GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": Intents.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": Intents.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE_ALL": Intents.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE_EMOJI": Intents.GUILD_MESSAGE_REACTIONS,
    "TYPING_START": Intents.GUILD_MESSAGE_TYPING,
    "MESSAGE_POLL_VOTE_ADD": Intents.GUILD_MESSAGE_POLLS,
    "MESSAGE_POLL_VOTE_REMOVE": Intents.GUILD_MESSAGE_POLLS,
}


class ChannelType:
    """Channel ``type`` values."""

    GUILD_TEXT: Final = 0
    GUILD_CATEGORY: Final = 4
    GUILD_ANNOUNCEMENT: Final = 5
    ANNOUNCEMENT_THREAD: Final = 10
    PUBLIC_THREAD: Final = 11
    PRIVATE_THREAD: Final = 12
    GUILD_FORUM: Final = 15

    THREADS: Final = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})


class MessageType:
    """Message ``type`` values the emulator produces."""

    DEFAULT: Final = 0
    CHANNEL_PINNED_MESSAGE: Final = 6
    THREAD_CREATED: Final = 18
    REPLY: Final = 19
    CHAT_INPUT_COMMAND: Final = 20
    THREAD_STARTER_MESSAGE: Final = 21
    POLL_RESULT: Final = 46


class MessageFlags:
    """Message ``flags`` bits."""

    HAS_THREAD: Final = 1 << 5
    EPHEMERAL: Final = 1 << 6
    LOADING: Final = 1 << 7


class ErrorCode:
    """JSON error codes from Discord's documentation."""

    GENERAL: Final = 0
    UNKNOWN_CHANNEL: Final = 10003
    UNKNOWN_GUILD: Final = 10004
    UNKNOWN_MEMBER: Final = 10007
    UNKNOWN_MESSAGE: Final = 10008
    UNKNOWN_USER: Final = 10013
    UNKNOWN_EMOJI: Final = 10014
    UNKNOWN_WEBHOOK: Final = 10015
    UNKNOWN_INTERACTION: Final = 10062
    UNKNOWN_APPLICATION_COMMAND: Final = 10063
    UNAUTHORIZED: Final = 40001
    INTERACTION_ALREADY_ACKNOWLEDGED: Final = 40060
    MISSING_ACCESS: Final = 50001
    CANNOT_EDIT_OTHERS_MESSAGE: Final = 50005
    EMPTY_MESSAGE: Final = 50006
    MISSING_PERMISSIONS: Final = 50013
    INVALID_FORM_BODY: Final = 50035
    THREAD_ARCHIVED: Final = 50083
    INVALID_JSON: Final = 50109
    THREAD_ALREADY_CREATED: Final = 160004
    THREAD_LOCKED: Final = 160005


class GatewayOp:
    """Gateway opcodes."""

    DISPATCH: Final = 0
    HEARTBEAT: Final = 1
    IDENTIFY: Final = 2
    PRESENCE_UPDATE: Final = 3
    VOICE_STATE_UPDATE: Final = 4
    RESUME: Final = 6
    RECONNECT: Final = 7
    REQUEST_GUILD_MEMBERS: Final = 8
    INVALID_SESSION: Final = 9
    HELLO: Final = 10
    HEARTBEAT_ACK: Final = 11
    REQUEST_SOUNDBOARD_SOUNDS: Final = 31

    FROM_CLIENT: Final = frozenset(
        {HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE, RESUME, REQUEST_GUILD_MEMBERS,
         REQUEST_SOUNDBOARD_SOUNDS}
    )
