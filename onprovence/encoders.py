"""JSON encoding shared by every JSON answer that carries text people typed."""

from django.core.serializers.json import DjangoJSONEncoder


class MarkupSafeJSONEncoder(DjangoJSONEncoder):
    """JSON whose strings carry no raw <, > or & (escaped as \\u003C, \\u003E, \\u0026).

    The same JSON to any reader, but no markup a careless consumer (or a browser sniffing the
    answer) could run, as Django's json_script does.
    """

    ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}

    def encode(self, o) -> str:
        return super().encode(o).translate(self.ESCAPES)
