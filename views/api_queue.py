"""The open API's queue status (issue 15): per active service group of the hall, how many
tickets wait today and the last number called. Numbers and counts only: no times, no people."""

from __future__ import annotations

from domain import clock, queue
from models import db
from views.api import bp, json_response, ok_response

CACHE_CONTROL = "public, max-age=5"  # a waiting count is stale within seconds


@bp.get("/queue")
def queue_status():
    today = clock.today()
    response = json_response(
        {"date": today.isoformat(), "groups": queue.group_status(db.session, today)}
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def openapi_paths() -> dict:
    return {
        "/api/v1/queue": {
            "get": {
                "operationId": "getQueueStatus",
                "summary": "Today's queue per service group: tickets waiting, last number called",
                "responses": ok_response("The queue today", "#/components/schemas/QueueStatus"),
            }
        }
    }


def openapi_schemas() -> dict:
    group = {
        "prefix": {"type": "string", "description": "The letter before the number (A)."},
        "name": {"type": "string"},
        "waiting": {"type": "integer", "minimum": 0},
        "last_called": {
            "type": ["string", "null"],
            "description": "The last number called today (A-012), or null.",
        },
    }
    return {
        "QueueStatus": {
            "type": "object",
            "additionalProperties": False,
            "required": ["date", "groups"],
            "properties": {
                "date": {"type": "string", "format": "date"},
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": list(group),
                        "properties": group,
                    },
                },
            },
        }
    }
