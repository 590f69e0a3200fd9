"""Who acts when no person does: management commands run by an operator on the server."""


class SystemActor:
    """The operator running a management command (load_liuzhou, generate_demo): trusted like the city bureau.

    It is not a user, so history records no user for its changes; services record a change reason instead.
    """

    is_authenticated = False

    def has_perm(self, perm: str) -> bool:
        return True

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()
