"""Shared set-up for the attack suites.

Known breaks found by the broad suites are marked xfail(strict=True) here, so those suites pass
today and turn red (XPASS) when a break is fixed; the failing minimal reproductions live in
test_repro_breaks.py."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

KNOWN_BREAKS = {
    "test_deadlines.py::test_save_deadline[stall]": "BREAK P2: save(timeout=) not enforced during a blocking read (repro: test_repro_breaks.py::test_p2_*)",
    "test_deadlines.py::test_save_deadline[trickle_headers]": "BREAK P2: save(timeout=) not enforced during a blocking read (repro: test_repro_breaks.py::test_p2_*)",
    "test_deadlines.py::test_save_deadline[short_body_idle]": "BREAK P2: save(timeout=) not enforced during a blocking read (repro: test_repro_breaks.py::test_p2_*)",
    "test_deadlines.py::test_save_async_deadline[stall]": "BREAK P2: save_async(timeout=) not enforced during a blocking read (repro: test_repro_breaks.py::test_p2_*)",
    "test_deadlines.py::test_save_async_deadline[trickle_headers]": "BREAK P2: save_async(timeout=) not enforced during a blocking read (repro: test_repro_breaks.py::test_p2_*)",
    "test_pay_twice.py::test_redirect_after_accept_is_not_followed_with_a_second_create[307]": "BREAK P1: 307/308 re-POSTs the create (repro: test_p1_vertex_create_answered_307_is_resent)",
    "test_pay_twice.py::test_redirect_after_accept_is_not_followed_with_a_second_create[308]": "BREAK P1: 307/308 re-POSTs the create (repro: test_p1_vertex_create_answered_307_is_resent)",
    "test_pay_twice.py::test_interactions_redirect_after_accept[307]": "BREAK P1: 307/308 loop re-POSTs the create 21 times (repro: test_p1_interactions_create_redirect_loop_pays_21_times)",
    "test_pay_twice.py::test_interactions_redirect_after_accept[308]": "BREAK P1: 307/308 loop re-POSTs the create 21 times (repro: test_p1_interactions_create_redirect_loop_pays_21_times)",
    "test_secrets.py::test_create_error_echo[429_reason-gemini_aiza]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_create_error_echo[429_reason-gemini_opaque]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_create_error_echo[429_reason-vertex_opaque]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_create_error_echo[429_reason-vertex_ya29]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_create_error_echo[503_reason-gemini_aiza]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_create_error_echo[503_reason-gemini_opaque]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_create_error_echo[503_reason-vertex_opaque]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_create_error_echo[503_reason-vertex_ya29]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_ya29-done]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_ya29-running]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_ya29-failed]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_ya29-unavailable]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_ya29-gcs]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_opaque-done]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_opaque-running]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_opaque-failed]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_opaque-unavailable]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_operation_name_carries_secret[vertex_opaque-gcs]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_submit_handle_carries_secret[vertex_ya29]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_submit_handle_carries_secret[vertex_opaque]": "BREAK P3: operation name is never redacted (repro: test_p3_operation_name_*)",
    "test_secrets.py::test_poll_echo[vertex_ya29-503_reason]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_poll_echo[vertex_opaque-503_reason]": "BREAK P3: Retrying.cause carries error.status verbatim (repro: test_p3_retrying_event_cause_carries_error_status_verbatim)",
    "test_secrets.py::test_status_repr_echo[vertex_ya29-failed]": "BREAK P3: OperationStatus repr unredacted (repro: test_p3_status_repr_carries_error_code_and_filter_reasons)",
    "test_secrets.py::test_status_repr_echo[vertex_ya29-filtered]": "BREAK P3: OperationStatus repr unredacted (repro: test_p3_status_repr_carries_error_code_and_filter_reasons)",
    "test_secrets.py::test_status_repr_echo[vertex_opaque-failed]": "BREAK P3: OperationStatus repr unredacted (repro: test_p3_status_repr_carries_error_code_and_filter_reasons)",
    "test_secrets.py::test_status_repr_echo[vertex_opaque-filtered]": "BREAK P3: OperationStatus repr unredacted (repro: test_p3_status_repr_carries_error_code_and_filter_reasons)",
    "test_secrets.py::test_interactions_echo[gemini_aiza-id]": "BREAK P3: interaction id / Retrying.cause unredacted (repro: test_p3_operation_name_*, test_p3_retrying_event_*)",
    "test_secrets.py::test_interactions_echo[gemini_aiza-500]": "BREAK P3: interaction id / Retrying.cause unredacted (repro: test_p3_operation_name_*, test_p3_retrying_event_*)",
    "test_secrets.py::test_interactions_echo[gemini_opaque-id]": "BREAK P3: interaction id / Retrying.cause unredacted (repro: test_p3_operation_name_*, test_p3_retrying_event_*)",
    "test_secrets.py::test_interactions_echo[gemini_opaque-500]": "BREAK P3: interaction id / Retrying.cause unredacted (repro: test_p3_operation_name_*, test_p3_retrying_event_*)",
    "test_secrets.py::test_cross_origin_redirect_does_not_carry_credential[gemini_aiza]": "BREAK P3: x-goog-api-key follows a cross-origin redirect (repro: test_p3_cross_origin_redirect_sends_api_key_to_another_host)",
    "test_secrets.py::test_third_party_debug_logs[vertex_ya29]": "BREAK P3 (third-party): httpcore2 DEBUG logs echoed response headers (repro: test_p3_httpcore_debug_log_shows_echoed_response_header)",
    "test_secrets.py::test_third_party_debug_logs[gemini_aiza]": "BREAK P3 (third-party): httpcore2 DEBUG logs echoed response headers (repro: test_p3_httpcore_debug_log_shows_echoed_response_header)",
    "test_secrets.py::test_chain_reprs[gemini_aiza]": "BREAK P3 (minor): repr of a chained SDK error keeps .body (repro: test_p3_repr_of_chained_sdk_error_keeps_echoed_key)",
    "test_secrets.py::test_chain_reprs[gemini_opaque]": "BREAK P3 (minor): repr of a chained SDK error keeps .body (repro: test_p3_repr_of_chained_sdk_error_keeps_echoed_key)",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        key = item.nodeid.split("tests/attack/")[-1]
        reason = OPEN_BREAKS.get(key)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


# Breaks still open after the fixes of "Keep every promise against a hostile network": each row
# fails today and is marked strict, so fixing one turns the suite red until it is removed here.
OPEN_BREAKS: dict[str, str] = {}
