"""The OpenAPI 3.0 description of the applicant chat API (served at /openapi.json)."""
from __future__ import annotations

from bot.gateway.chat_api import MAX_TEXT_CHARS

_ERROR = {"$ref": "#/components/schemas/Error"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def spec() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "一次 · 聊天接口 (Yici chat API)", "version": "1.0.0",
                 "description": "Web chat of the Hangzhou business-registration assistant. Messages are stored "
                                "before the bot is asked; when the bot is down (503) they are answered later "
                                "and appear in GET /api/chat/{conversation_id}/messages."},
        "paths": {
            "/api/chat/messages": {"post": {
                "operationId": "postMessage",
                "summary": "Send an applicant message and receive the bot's replies",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/PostMessage"}}}},
                "responses": {
                    "200": {"description": "The bot's replies to this message",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Turn"}}}},
                    "400": _error_response("Not JSON, empty text, text too long, or a malformed conversation id"),
                    "429": _error_response("Too many messages from this conversation or address in a minute"),
                    "503": {"description": "The bot is unavailable; the message is stored and answered later",
                            "content": {"application/json": {"schema": {"allOf": [_ERROR, {
                                "type": "object",
                                "properties": {"conversation_id": {"type": "string"}}}]}}}},
                }}},
            "/api/chat/{conversation_id}/messages": {"get": {
                "operationId": "listMessages",
                "summary": "Messages of a conversation after a message id (poll for later messages)",
                "parameters": [
                    {"name": "conversation_id", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}},
                    {"name": "after", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0, "default": 0}}],
                "responses": {
                    "200": {"description": "Messages with an id greater than `after`, oldest first",
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/Transcript"}}}},
                    "400": _error_response("`after` is not an integer"),
                    "404": _error_response("No such conversation"),
                }}},
        },
        "components": {"schemas": {
            "PostMessage": {"type": "object", "required": ["text"], "properties": {
                "conversation_id": {"type": "string", "pattern": "^[0-9a-f]{32}$",
                                    "description": "Omit to start a new conversation"},
                "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS,
                         "description": "The applicant's text, or the payload of a quick-reply button"}}},
            "Button": {"type": "object", "required": ["title", "payload"], "properties": {
                "title": {"type": "string"}, "payload": {"type": "string"}}},
            "Message": {"type": "object", "required": ["id", "text"], "properties": {
                "id": {"type": "integer"},
                "author": {"type": "string", "enum": ["applicant", "bot", "staff", "system"]},
                "text": {"type": "string"},
                "buttons": {"type": "array", "items": {"$ref": "#/components/schemas/Button"}},
                "link": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}}},
            "Turn": {"type": "object", "required": ["conversation_id", "messages", "handoff"], "properties": {
                "conversation_id": {"type": "string"},
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                "handoff": {"type": "boolean", "description": "A human answers this conversation now"}}},
            "Transcript": {"type": "object", "required": ["conversation_id", "messages", "handoff"], "properties": {
                "conversation_id": {"type": "string"},
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                "handoff": {"type": "boolean"},
                "status": {"type": "string", "enum": ["bot", "waiting", "human", "closed"]}}},
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string", "description": "Chinese, for the applicant"}}}}},
        }},
    }
