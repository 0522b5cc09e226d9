"""List filters that read dates, times and amounts the Vietnamese way, like the form fields of
views/fields.py (VnFilterConverter, used by SecureModelView).

A date typed into a filter reads like a date typed into a form. On a timestamp column a date
alone means the whole day: "equals 05/12/2026" is any time that day, "between 01/12/2026 and
05/12/2026" includes the 5th, "after 05/12/2026" starts on the 6th."""

from __future__ import annotations

import datetime as dt

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model.filters import convert
from sqlalchemy import and_, not_, or_

from domain.formatting import parse_date, parse_datetime, split_range
from domain.payments import parse_amount_vnd
from domain.service import RuleError
from views.fields import is_money_column


def _day_or_minute(text: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of what was typed: the whole day for a date, the minute for a time."""
    moment, has_time = parse_datetime(text)
    return moment, moment + (dt.timedelta(minutes=1) if has_time else dt.timedelta(days=1))


class _VnDateValue:
    def clean(self, value):
        return parse_date(value)


class _VnDateRange:
    def clean(self, value):
        start, end = (parse_date(v) for v in split_range(value))
        return [start, end]

    def validate(self, value):
        try:
            start, end = self.clean(value)
        except ValueError:
            return False
        return start <= end


class VnDateEqualFilter(_VnDateValue, sqla_filters.DateEqualFilter):
    pass


class VnDateNotEqualFilter(_VnDateValue, sqla_filters.DateNotEqualFilter):
    pass


class VnDateGreaterFilter(_VnDateValue, sqla_filters.DateGreaterFilter):
    pass


class VnDateSmallerFilter(_VnDateValue, sqla_filters.DateSmallerFilter):
    pass


class VnDateBetweenFilter(_VnDateRange, sqla_filters.DateBetweenFilter):
    pass


class VnDateNotBetweenFilter(_VnDateRange, sqla_filters.DateNotBetweenFilter):
    pass


class _VnMoment:
    def clean(self, value):
        return _day_or_minute(value)

    def _within(self, alias, value):
        start, end = value
        column = self.get_column(alias)
        return and_(column >= start, column < end)


class VnDateTimeEqualFilter(_VnMoment, sqla_filters.DateTimeEqualFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self._within(alias, value))


class VnDateTimeNotEqualFilter(_VnMoment, sqla_filters.DateTimeNotEqualFilter):
    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(or_(not_(self._within(alias, value)), column.is_(None)))


class VnDateTimeGreaterFilter(_VnMoment, sqla_filters.DateTimeGreaterFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) >= value[1])


class VnDateTimeSmallerFilter(_VnMoment, sqla_filters.DateTimeSmallerFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) < value[0])


class _VnMomentRange:
    def clean(self, value):
        first, last = (_day_or_minute(v) for v in split_range(value))
        return [first[0], last[1]]

    def validate(self, value):
        try:
            start, end = self.clean(value)
        except ValueError:
            return False
        return start < end


class VnDateTimeBetweenFilter(_VnMomentRange, sqla_filters.DateTimeBetweenFilter):
    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column >= value[0], column < value[1])


class VnDateTimeNotBetweenFilter(_VnMomentRange, sqla_filters.DateTimeNotBetweenFilter):
    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(or_(column < value[0], column >= value[1]))


class _VnMoney:
    def clean(self, value):
        try:
            return parse_amount_vnd(value, minimum=0)
        except RuleError:
            raise ValueError(value) from None


class _VnMoneyList:
    def clean(self, value):
        # "1.200.000; 500.000" or one per comma: a comma is never a đồng grouping here.
        try:
            return [
                parse_amount_vnd(v, minimum=0)
                for v in value.replace(";", ",").split(",")
                if v.strip()
            ]
        except RuleError:
            raise ValueError(value) from None


class VndEqualFilter(_VnMoney, sqla_filters.IntEqualFilter):
    pass


class VndNotEqualFilter(_VnMoney, sqla_filters.IntNotEqualFilter):
    pass


class VndGreaterFilter(_VnMoney, sqla_filters.IntGreaterFilter):
    pass


class VndSmallerFilter(_VnMoney, sqla_filters.IntSmallerFilter):
    pass


class VndInListFilter(_VnMoneyList, sqla_filters.IntInListFilter):
    pass


class VndNotInListFilter(_VnMoneyList, sqla_filters.IntNotInListFilter):
    pass


class VnFilterConverter(sqla_filters.FilterConverter):
    """Flask-Admin's filters, reading dates, times and đồng the Vietnamese way."""

    date_filters = (
        VnDateEqualFilter,
        VnDateNotEqualFilter,
        VnDateGreaterFilter,
        VnDateSmallerFilter,
        VnDateBetweenFilter,
        VnDateNotBetweenFilter,
        sqla_filters.FilterEmpty,
    )
    datetime_filters = (
        VnDateTimeEqualFilter,
        VnDateTimeNotEqualFilter,
        VnDateTimeGreaterFilter,
        VnDateTimeSmallerFilter,
        VnDateTimeBetweenFilter,
        VnDateTimeNotBetweenFilter,
        sqla_filters.FilterEmpty,
    )
    money_filters = (
        VndEqualFilter,
        VndNotEqualFilter,
        VndGreaterFilter,
        VndSmallerFilter,
        sqla_filters.FilterEmpty,
        VndInListFilter,
        VndNotInListFilter,
    )

    @convert("int", "integer", "smallinteger", "smallint", "biginteger", "bigint", "mediumint")
    def conv_int(self, column, name, **kwargs):
        if is_money_column(column):
            return [f(column, name, **kwargs) for f in self.money_filters]
        return super().conv_int(column, name, **kwargs)
