"""What the consumer's look-ahead commits and where it rewinds: offsets of the records it was handed."""

from __future__ import annotations

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata

from shared.consumer import Polled, rewind_positions

TOPIC = "registry.beneficiary.upserted"


def _records(partition: int, first: int, last: int) -> tuple[TopicPartition, list[ConsumerRecord]]:
    tp = TopicPartition(TOPIC, partition)
    return tp, [ConsumerRecord(TOPIC, partition, -1, offset, 0, 0, None, b"{}", [], None, 0, 2, -1)
                for offset in range(first, last + 1)]


def _polled(*spans: tuple[int, int, int]) -> Polled:
    return Polled(records=dict(_records(*span) for span in spans), events=[])


def test_a_batch_commits_the_offset_after_its_last_record_per_partition() -> None:
    polled = _polled((0, 0, 1665), (2, 334, 1665))
    assert polled.next_offsets() == {TopicPartition(TOPIC, 0): OffsetAndMetadata(1666, "", -1),
                                     TopicPartition(TOPIC, 2): OffsetAndMetadata(1666, "", -1)}


def test_a_failed_batch_rewinds_its_partitions_and_those_only_the_look_ahead_moved() -> None:
    current = _polled((2, 334, 1665), (1, 0, 667))
    following = _polled((1, 668, 1667), (0, 1666, 2000))
    assert rewind_positions(current, following) == {
        TopicPartition(TOPIC, 2): 334,  # the failed batch's own
        TopicPartition(TOPIC, 1): 0,  # in both: where the failed batch started, not the look-ahead
        TopicPartition(TOPIC, 0): 1666,  # only the look-ahead read it: back to its first record
    }


def test_without_a_look_ahead_only_the_failed_batch_rewinds() -> None:
    current = _polled((1, 5, 9))
    assert rewind_positions(current, None) == {TopicPartition(TOPIC, 1): 5}


def test_two_batches_in_flight_and_a_look_ahead_rewind_to_the_earliest_of_each_partition() -> None:
    failed = _polled((0, 100, 199))
    applied_after_it = _polled((0, 200, 299), (1, 50, 80))  # committed, yet it comes again (skipped by id)
    look_ahead = _polled((1, 81, 90), (2, 7, 9))
    assert rewind_positions(failed, applied_after_it, None, look_ahead) == {
        TopicPartition(TOPIC, 0): 100, TopicPartition(TOPIC, 1): 50, TopicPartition(TOPIC, 2): 7}
