package io.sluice.core.ledger;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The accounts of numbered items sent through a gateway: per stream (a source ID), what the
 * sender sent and what the gateway acknowledged or refused, and what reached the sink. Items are
 * numbered per stream from 0 by {@link #reserve}; the sink reports each arrival with
 * {@link #received}. {@link #counts} then says, per stream or in all, what was lost (acknowledged
 * and never delivered), duplicated (delivered more than once) and reordered (delivered after an
 * item of its stream with a higher number).
 *
 * <p>Thread-safe: senders and sinks call it from their own threads and event loops.
 */
public final class ItemLedger {
  private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();

  private Stream stream(int source) {
    return streams.computeIfAbsent(source, s -> new Stream());
  }

  /** Numbers {@code count} new items of stream {@code source} and records them as sent; the first number. */
  public int reserve(int source, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, got " + count);
    }
    Stream s = stream(source);
    synchronized (s) {
      int first = s.next;
      s.next += count;
      s.sent.set(first, first + count);
      return first;
    }
  }

  /** The gateway acknowledged items {@code first .. first + count - 1} of {@code source}. */
  public void acknowledged(int source, int first, int count) {
    Stream s = stream(source);
    synchronized (s) {
      checkSent(s, source, first, count);
      s.acked.set(first, first + count);
    }
  }

  /** The gateway (or the transport) refused items {@code first .. first + count - 1}, for {@code reason}. */
  public void refused(int source, int first, int count, String reason) {
    Stream s = stream(source);
    synchronized (s) {
      checkSent(s, source, first, count);
      s.refused.set(first, first + count);
      s.refusedBy.merge(reason, (long) count, Long::sum);
    }
  }

  private static void checkSent(Stream s, int source, int first, int count) {
    if (first < 0 || first + count > s.next) {
      throw new IllegalArgumentException("items " + first + ".." + (first + count - 1) + " of stream " + source
          + " were never reserved (next is " + s.next + ")");
    }
  }

  /** The sink received item {@code seq} of stream {@code source}. */
  public void received(int source, int seq) {
    Stream s = stream(source);
    synchronized (s) {
      s.received++;
      if (s.seen.get(seq)) {
        s.duplicated++;
        return;
      }
      s.seen.set(seq);
      if (seq < s.highest) {
        s.reordered++;
      } else {
        s.highest = seq;
      }
    }
  }

  /** The streams seen by either side, in order. */
  public List<Integer> sources() {
    return new ArrayList<>(new TreeMap<>(streams).keySet());
  }

  /** The counts of one stream (all zero for a stream never seen). */
  public Counts counts(int source) {
    Stream s = streams.get(source);
    if (s == null) {
      return Counts.ZERO;
    }
    synchronized (s) {
      return s.counts();
    }
  }

  /** The counts of every stream added up. */
  public Counts counts() {
    Counts total = Counts.ZERO;
    for (int source : sources()) {
      total = total.plus(counts(source));
    }
    return total;
  }

  /** Up to {@code limit} numbers of acknowledged items of {@code source} the sink never received, for messages. */
  public List<Integer> lost(int source, int limit) {
    List<Integer> out = new ArrayList<>();
    BitSet lost = lostSet(source);
    for (int i = lost.nextSetBit(0); i >= 0 && out.size() < limit; i = lost.nextSetBit(i + 1)) {
      out.add(i);
    }
    return out;
  }

  /** Up to {@code limit} runs of consecutive numbers of acknowledged items of {@code source} the sink never received. */
  public List<Range> lostRanges(int source, int limit) {
    return ranges(lostSet(source), limit);
  }

  /**
   * Up to {@code limit} runs of numbers of {@code source} below the highest the sink received that
   * it never received: what a sink can tell is missing without the sender's accounts.
   */
  public List<Range> gaps(int source, int limit) {
    return ranges(gapSet(source), limit);
  }

  /** Up to {@code limit} runs of consecutive numbers of {@code source} the sink received. */
  public List<Range> deliveredRanges(int source, int limit) {
    Stream s = streams.get(source);
    if (s == null) {
      return new ArrayList<>();
    }
    synchronized (s) {
      return ranges(s.seen, limit);
    }
  }

  /** How many numbers of {@code source} below the highest the sink received it never received. */
  public long gapCount(int source) {
    return gapSet(source).cardinality();
  }

  private BitSet lostSet(int source) {
    Stream s = streams.get(source);
    if (s == null) {
      return new BitSet();
    }
    synchronized (s) {
      BitSet lost = (BitSet) s.acked.clone();
      lost.andNot(s.seen);
      return lost;
    }
  }

  private BitSet gapSet(int source) {
    Stream s = streams.get(source);
    if (s == null) {
      return new BitSet();
    }
    synchronized (s) {
      BitSet gaps = new BitSet();
      gaps.set(0, s.seen.length());
      gaps.andNot(s.seen);
      return gaps;
    }
  }

  private static List<Range> ranges(BitSet set, int limit) {
    List<Range> out = new ArrayList<>();
    for (int i = set.nextSetBit(0); i >= 0 && out.size() < limit; ) {
      int end = set.nextClearBit(i);
      out.add(new Range(i, end - 1));
      i = set.nextSetBit(end);
    }
    return out;
  }

  /** The numbers {@code first .. last} of a stream, both included. */
  public record Range(int first, int last) {
    public long count() {
      return (long) last - first + 1;
    }

    /** {@code first..last}, or the one number. */
    @Override
    public String toString() {
      return first == last ? Integer.toString(first) : first + ".." + last;
    }
  }

  /**
   * What happened to the items of a stream, or of several added up.
   *
   * @param sent items the sender numbered and sent
   * @param acknowledged items the gateway acknowledged
   * @param refused items refused (an error answer or no answer), by reason in {@code refusedBy}
   * @param received arrivals at the sink, copies included
   * @param delivered distinct items the sink received
   * @param lost items acknowledged and never delivered
   * @param duplicated arrivals of an item already delivered
   * @param reordered first arrivals of an item after an item of its stream with a higher number
   * @param deliveredUnacknowledged distinct items delivered without an acknowledgement (refused,
   *     or unanswered, as a request cut off by a killed gateway that it had already stored)
   * @param unanswered items sent that got neither an acknowledgement nor a refusal yet
   */
  public record Counts(long sent, long acknowledged, long refused, Map<String, Long> refusedBy, long received,
      long delivered, long lost, long duplicated, long reordered, long deliveredUnacknowledged, long unanswered) {
    static final Counts ZERO = new Counts(0, 0, 0, Map.of(), 0, 0, 0, 0, 0, 0, 0);

    public Counts {
      refusedBy = Map.copyOf(refusedBy);
    }

    Counts plus(Counts o) {
      Map<String, Long> by = new TreeMap<>(refusedBy);
      o.refusedBy.forEach((k, v) -> by.merge(k, v, Long::sum));
      return new Counts(sent + o.sent, acknowledged + o.acknowledged, refused + o.refused, by,
          received + o.received, delivered + o.delivered, lost + o.lost, duplicated + o.duplicated,
          reordered + o.reordered, deliveredUnacknowledged + o.deliveredUnacknowledged, unanswered + o.unanswered);
    }

    /** Refusals for {@code reason}. */
    public long refused(String reason) {
      return refusedBy.getOrDefault(reason, 0L);
    }

    @Override
    public String toString() {
      return "sent " + sent + ", acknowledged " + acknowledged + ", refused " + refused + " " + new TreeMap<>(refusedBy)
          + ", unanswered " + unanswered + ", received " + received + ", delivered " + delivered + ", lost " + lost
          + ", duplicated " + duplicated + ", reordered " + reordered + ", delivered unacknowledged "
          + deliveredUnacknowledged;
    }
  }

  private static final class Stream {
    int next;
    final BitSet sent = new BitSet();
    final BitSet acked = new BitSet();
    final BitSet refused = new BitSet();
    final Map<String, Long> refusedBy = new TreeMap<>();
    final BitSet seen = new BitSet();
    long received;
    long duplicated;
    long reordered;
    int highest = -1;

    Counts counts() {
      BitSet lost = (BitSet) acked.clone();
      lost.andNot(seen);
      BitSet unacknowledged = (BitSet) seen.clone();
      unacknowledged.andNot(acked);
      BitSet unanswered = (BitSet) sent.clone();
      unanswered.andNot(acked);
      unanswered.andNot(refused);
      return new Counts(sent.cardinality(), acked.cardinality(), refused.cardinality(), refusedBy, received,
          seen.cardinality(), lost.cardinality(), duplicated, reordered, unacknowledged.cardinality(),
          unanswered.cardinality());
    }
  }
}
