/* The plugin's frame store: what the first pass keeps of each frame must come back
 * unchanged on every later pass, whether the store kept the entry plain (8 bytes) or
 * whole, and the forward marks of later frames must land on the frames they name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame_store.h"

static int reset(void **state)
{
    (void)state;
    frame_store_reset();
    return 0;
}

static frame_entry entry_at(uint32_t frame, uint32_t stream, uint8_t endpoint)
{
    frame_entry e;
    memset(&e, 0, sizeof e);
    e.frame = frame;
    e.stream = stream;
    e.endpoint = endpoint & 1;
    return e;
}

static void assert_same_entry(const frame_entry *a, const frame_entry *b)
{
    assert_int_equal(a->frame, b->frame);
    assert_int_equal(a->stream, b->stream);
    assert_int_equal(a->verdicts, b->verdicts);
    assert_int_equal(a->counted, b->counted);
    assert_int_equal(a->first_kinds, b->first_kinds);
    assert_int_equal(a->endpoint, b->endpoint);
    assert_int_equal(a->fixed_sender, b->fixed_sender);
    assert_int_equal(a->rst_cause, b->rst_cause);
    assert_int_equal(a->first_segment, b->first_segment);
    assert_int_equal(a->markable, b->markable);
    assert_int_equal(a->numbers, b->numbers);
}

/* Stores the entry and reads it back; returns whether the store may keep it plain. */
static bool round_trip(const frame_entry *e)
{
    assert_true(frame_store_add(e));
    frame_entry back;
    assert_true(frame_store_find(e->frame, &back));
    assert_same_entry(e, &back);
    return frame_entry_is_plain(e);
}

/* Every field a plain entry holds comes back, at the largest stream it takes. */
static void test_plain_entries_round_trip(void **state)
{
    (void)state;
    frame_entry e = entry_at(1, 0, 0);
    e.first_segment = 1;
    assert_true(round_trip(&e));

    e = entry_at(2, FRAME_STORE_PLAIN_STREAM_LIMIT - 1, 1);
    e.fixed_sender = TD_FIXED_SENDER_SENDS;
    assert_true(round_trip(&e));

    e = entry_at(3, 12345, 1);
    e.fixed_sender = TD_FIXED_SENDER_WITHHOLDS;
    assert_true(round_trip(&e));

    /* The segment that revealed the half-close: counted there, and first of its kind. */
    e = entry_at(4, 7, 0);
    e.counted = e.first_kinds = TD_V_HALF_CLOSE;
    assert_true(round_trip(&e));
}

/* What a plain entry cannot say is kept whole, and comes back too. */
static void test_other_entries_are_kept_whole(void **state)
{
    (void)state;
    frame_entry e = entry_at(10, FRAME_STORE_PLAIN_STREAM_LIMIT, 1);
    assert_false(round_trip(&e));

    e = entry_at(11, 3, 0);
    e.verdicts = e.counted = e.first_kinds = TD_V_SPURIOUS_ACK;
    e.fixed_sender = TD_FIXED_SENDER_WITHHOLDS;
    e.markable = 1;
    assert_false(round_trip(&e));

    e = entry_at(12, 3, 1);
    e.rst_cause = TD_RST_CAUSE_ABORT;
    e.verdicts = e.counted = TD_V_ABORT;
    assert_false(round_trip(&e));

    /* A cause alone, or numbers alone, is more than a plain entry says. */
    e = entry_at(13, 3, 1);
    e.rst_cause = TD_RST_CAUSE_NO_CONNECTION;
    assert_false(round_trip(&e));

    e = entry_at(14, 3, 1);
    frame_numbers *n = frame_store_new_numbers(&e.numbers);
    assert_non_null(n);
    n->rst_answers = 2;
    assert_false(round_trip(&e));
    frame_entry out;
    assert_true(frame_store_find(14, &out));
    assert_int_equal(frame_store_numbers_of(&out)->rst_answers, 2);

    /* A half-close counted where it is not the first of its kind is not the plain case. */
    e = entry_at(15, 3, 1);
    e.counted = TD_V_HALF_CLOSE;
    assert_false(round_trip(&e));

    e = entry_at(16, 3, 0);
    e.markable = 1;
    assert_false(round_trip(&e));
}

/* Frames without an entry have none, whether before, between or after those kept, and
 * in any order of asking (the GUI jumps). */
static void test_find_in_any_order(void **state)
{
    (void)state;
    for (uint32_t f = 2; f <= 200; f += 2) {
        frame_entry e = entry_at(f, f / 2, 0);
        e.verdicts = (f % 6 == 0) ? TD_V_FIN_REACK : 0; /* every third whole */
        assert_true(frame_store_add(&e));
    }
    frame_entry out;
    assert_false(frame_store_find(1, &out));
    assert_false(frame_store_find(201, &out));
    for (int f = 199; f > 0; f -= 2)
        assert_false(frame_store_find((uint32_t)f, &out));
    for (uint32_t f = 200; f > 0; f -= 2) {
        assert_true(frame_store_find(f, &out));
        assert_int_equal(out.stream, f / 2);
        assert_int_equal(out.verdicts, (f % 6 == 0) ? TD_V_FIN_REACK : 0);
    }
    assert_true(frame_store_find(100, &out));
    assert_true(frame_store_find(12, &out));
    assert_true(frame_store_find(14, &out));
    assert_false(frame_store_find(15, &out));
}

/* Frames added out of order are kept sorted: asked in frame order, each is found and the
 * frames between them are not. */
static void test_out_of_order_add_stays_sorted(void **state)
{
    (void)state;
    uint32_t frames[] = { 5, 9, 7, 1, 8, 3, 6 };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        frame_entry e = entry_at(frames[i], frames[i] * 10, 0);
        e.markable = frames[i] % 2; /* odd frames whole, even ones plain */
        assert_true(frame_store_add(&e));
    }
    bool kept[11] = { false };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++)
        kept[frames[i]] = true;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t f = 0; f <= 10; f++) {
            frame_entry out;
            assert_int_equal(frame_store_find(f, &out), kept[f]);
            if (kept[f]) {
                assert_int_equal(out.stream, f * 10);
                assert_int_equal(out.markable, f % 2);
            }
        }
    }
}

/* A frame found in neither array tells that the frames up to the next entry have none;
 * an add between them (the GUI's live capture adds while it shows) is still found. */
static void test_add_after_a_miss(void **state)
{
    (void)state;
    frame_entry e = entry_at(10, 1, 0);
    assert_true(frame_store_add(&e));
    e = entry_at(20, 1, 1);
    e.markable = 1;
    assert_true(frame_store_add(&e));
    frame_entry out;
    assert_false(frame_store_find(12, &out));
    assert_false(frame_store_find(15, &out));
    assert_true(frame_store_find(20, &out));
    e = entry_at(15, 2, 0);
    assert_true(frame_store_add(&e));
    assert_true(frame_store_find(15, &out));
    assert_int_equal(out.stream, 2);
    e = entry_at(13, 3, 0);
    e.verdicts = TD_V_FIN_REACK;
    assert_true(frame_store_add(&e));
    assert_true(frame_store_find(13, &out));
    assert_int_equal(out.stream, 3);
    assert_false(frame_store_find(14, &out));
    assert_true(frame_store_find(15, &out));
    assert_int_equal(out.stream, 2);
    assert_false(frame_store_find(16, &out));
    assert_true(frame_store_find(20, &out));
    assert_false(frame_store_find(21, &out));
}

/* Forward marks: the half-close on X's FIN and the provoked RST's frame on the spurious
 * ACK reach the whole entries of the right stream, and nothing else. */
static void test_forward_marks(void **state)
{
    (void)state;
    frame_entry fin = entry_at(3, 1, 0);
    fin.markable = 1;
    assert_true(frame_store_add(&fin));
    frame_entry plain = entry_at(4, 1, 1);
    assert_true(frame_store_add(&plain));
    frame_entry ack = entry_at(8, 1, 0);
    ack.verdicts = TD_V_SPURIOUS_ACK;
    ack.markable = 1;
    assert_true(frame_store_add(&ack));

    assert_null(frame_store_entry_of(3, 2)); /* another stream */
    assert_null(frame_store_entry_of(4, 1)); /* plain: never marked */
    assert_null(frame_store_entry_of(5, 1)); /* no entry */

    frame_entry *marked = frame_store_entry_of(3, 1);
    assert_non_null(marked);
    marked->verdicts |= TD_V_HALF_CLOSE;
    marked = frame_store_entry_of(8, 1);
    assert_non_null(marked);
    frame_numbers *n = frame_store_attach_numbers(marked);
    assert_non_null(n);
    n->provoked_rst_frame = 9;

    frame_entry out;
    assert_true(frame_store_find(3, &out));
    assert_int_equal(out.verdicts, TD_V_HALF_CLOSE);
    assert_null(frame_store_numbers_of(&out));
    assert_true(frame_store_find(8, &out));
    assert_int_equal(out.verdicts, TD_V_SPURIOUS_ACK);
    const frame_numbers *back = frame_store_numbers_of(&out);
    assert_non_null(back);
    assert_int_equal(back->provoked_rst_frame, 9);
}

/* Numbers made before the entry is kept are found through it. */
static void test_numbers_made_before_the_entry(void **state)
{
    (void)state;
    frame_entry rst = entry_at(20, 5, 1);
    rst.rst_cause = TD_RST_CAUSE_DATA_AFTER_CLOSE;
    frame_numbers *n = frame_store_new_numbers(&rst.numbers);
    assert_non_null(n);
    n->rst_answers = 18;
    n->lost_bytes = 1200;
    assert_false(round_trip(&rst));
    frame_entry out;
    assert_true(frame_store_find(20, &out));
    const frame_numbers *back = frame_store_numbers_of(&out);
    assert_non_null(back);
    assert_int_equal(back->rst_answers, 18);
    assert_int_equal(back->lost_bytes, 1200);
}

/* A reset forgets everything. */
static void test_reset_forgets(void **state)
{
    (void)state;
    frame_entry e = entry_at(1, 1, 0);
    assert_true(frame_store_add(&e));
    e = entry_at(2, 1, 0);
    e.markable = 1;
    assert_true(frame_store_add(&e));
    frame_store_reset();
    frame_entry out;
    assert_false(frame_store_find(1, &out));
    assert_false(frame_store_find(2, &out));
    assert_null(frame_store_entry_of(2, 1));
}

/* Many entries, past the arrays' first growth: all found again. */
static void test_growth(void **state)
{
    (void)state;
    for (uint32_t f = 1; f <= 20000; f++) {
        frame_entry e = entry_at(f, f % 977, f & 1);
        e.verdicts = (f % 5 == 0) ? TD_V_RST_AFTER_CLOSE : 0;
        assert_true(frame_store_add(&e));
    }
    for (uint32_t f = 1; f <= 20000; f++) {
        frame_entry out;
        assert_true(frame_store_find(f, &out));
        assert_int_equal(out.stream, f % 977);
        assert_int_equal(out.endpoint, f & 1);
        assert_int_equal(out.verdicts, (f % 5 == 0) ? TD_V_RST_AFTER_CLOSE : 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_entries_round_trip, reset, reset),
        cmocka_unit_test_setup_teardown(test_other_entries_are_kept_whole, reset, reset),
        cmocka_unit_test_setup_teardown(test_find_in_any_order, reset, reset),
        cmocka_unit_test_setup_teardown(test_out_of_order_add_stays_sorted, reset, reset),
        cmocka_unit_test_setup_teardown(test_add_after_a_miss, reset, reset),
        cmocka_unit_test_setup_teardown(test_forward_marks, reset, reset),
        cmocka_unit_test_setup_teardown(test_numbers_made_before_the_entry, reset, reset),
        cmocka_unit_test_setup_teardown(test_reset_forgets, reset, reset),
        cmocka_unit_test_setup_teardown(test_growth, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
