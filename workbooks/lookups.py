"""``field__any=[…]``: ``field = ANY('{…}'::type[])`` on PostgreSQL.

``field__in`` with 50,000 values sends 50,000 placeholders (or, as ``unnest(%s)``, an
``ARRAY[…]`` of 50,000 expressions) for PostgreSQL to parse; one array literal is read in a
fortieth of the time and matched with a hash. Imports look their rows up this way.
"""

from django.db.models import Field, ForeignObject, Lookup


def array_literal(values) -> str:
    """Return ``values`` as a PostgreSQL array literal, every element quoted."""

    def element(value) -> str:
        if value is None:
            return "NULL"
        text = str(value).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'

    return "{" + ",".join(map(element, values)) + "}"


class Any(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        return "%s", [array_literal(field.get_db_prep_value(v, connection) for v in value)]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            raise NotImplementedError("The any lookup is for PostgreSQL; use in elsewhere.")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        _rhs, rhs_params = self.process_rhs(compiler, connection)
        cast = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{cast}[])", [*lhs_params, *rhs_params]


Field.register_lookup(Any)
ForeignObject.register_lookup(Any)  # relations look their lookups up on their own classes
