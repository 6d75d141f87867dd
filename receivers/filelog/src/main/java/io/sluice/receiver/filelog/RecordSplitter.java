package io.sluice.receiver.filelog;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import io.sluice.receiver.filelog.Encodings.Encoding;

/**
 * Cuts a chunk of a file, which starts at an entry's first byte, into entries: one a line, or
 * with {@code multiline} the lines from one start line to the next (or up to an end line). An
 * entry longer than {@code max_log_size} bytes is cut into pieces of that size. What may still
 * grow (a line without its newline, a multiline entry whose end is not seen yet) is left for the
 * next read unless the caller says to flush it.
 */
final class RecordSplitter {
  /** Takes each entry's body; answers false when it wants no more in this call. */
  interface Sink {
    boolean entry(Object body);
  }

  private final Encoding encoding;
  private final int maxBytes;
  private final Pattern start;
  private final Pattern end;
  private final boolean omitPattern;
  private final boolean keepLeading;
  private final boolean keepTrailing;
  private long splits;
  /** Set when the sink wanted no more: the split ends after the entry that filled it. */
  private boolean full;

  RecordSplitter(Encoding encoding, int maxBytes, FilelogReceiverConfig.Multiline multiline, boolean keepLeading,
      boolean keepTrailing) {
    this.encoding = encoding;
    this.maxBytes = Math.max(encoding.unit(), encoding.align(maxBytes));
    this.start = multiline == null || multiline.lineStartPattern().isEmpty() ? null
        : Pattern.compile(multiline.lineStartPattern());
    this.end = multiline == null || multiline.lineEndPattern().isEmpty() ? null
        : Pattern.compile(multiline.lineEndPattern());
    this.omitPattern = multiline != null && multiline.omitPattern();
    this.keepLeading = keepLeading;
    this.keepTrailing = keepTrailing;
  }

  /** How many times an entry was cut because it was longer than {@code max_log_size}. */
  long splits() {
    return splits;
  }

  /**
   * Emits the entries in {@code b[0, len)}.
   *
   * @param flushTail the file has not grown for the force-flush period (or is gone): emit what is
   *     pending too
   * @param bufferFull {@code len} is all the chunk could hold, so waiting cannot make a pending
   *     entry complete within it
   * @return how many bytes from the start were emitted; the next chunk starts there
   */
  int split(byte[] b, int len, boolean flushTail, boolean bufferFull, Sink sink) {
    full = false;
    int nlLen = encoding.newlineLength();
    int pos = 0;
    int consumed = 0;
    int recStart = -1;
    int recEnd = -1;
    while (true) {
      int nl = encoding.findNewline(b, pos, len);
      if (nl < 0) {
        break;
      }
      if (start == null && end == null) {
        emitRange(b, pos, nl, sink);
        pos = nl + nlLen;
        consumed = pos;
        if (full) {
          return consumed;
        }
        continue;
      }
      boolean isStart = start != null && start.matcher(encoding.text(b, pos, nl - pos)).find();
      if (isStart && recStart >= 0) {
        emitRange(b, recStart, recEnd, sink);
        recStart = -1;
        consumed = pos;
        if (full) {
          return consumed;
        }
      }
      if (recStart < 0) {
        recStart = pos;
      }
      recEnd = nl;
      boolean isEnd = end != null && end.matcher(encoding.text(b, pos, nl - pos)).find();
      pos = nl + nlLen;
      if (isEnd || recEnd - recStart >= maxBytes) {
        emitRange(b, recStart, recEnd, sink);
        recStart = -1;
        consumed = pos;
        if (full) {
          return consumed;
        }
      }
    }
    int tail = len - pos;
    if (flushTail) {
      boolean tailStartsEntry = tail > 0 && start != null && start.matcher(encoding.text(b, pos, tail)).find();
      if (recStart >= 0 && (tail == 0 || tailStartsEntry)) {
        emitRange(b, recStart, recEnd, sink);
        recStart = -1;
      }
      if (tail > 0 || recStart >= 0) {
        emitRange(b, recStart >= 0 ? recStart : pos, len, sink);
      }
      return len;
    }
    if (tail >= maxBytes || (bufferFull && consumed == 0)) {
      // The line has no end within a whole entry's size: send what there is rather than wait forever.
      if (recStart >= 0) {
        emitRange(b, recStart, recEnd, sink);
        recStart = -1;
        consumed = pos;
      }
      if (tail >= maxBytes) {
        emitRange(b, pos, pos + maxBytes, sink);
        splits++;
        consumed = pos + maxBytes;
      }
      return consumed;
    }
    return recStart >= 0 ? recStart : consumed;
  }

  /** Emits {@code b[from, to)} as one entry, or as pieces of {@code max_log_size} when longer. */
  private void emitRange(byte[] b, int from, int to, Sink sink) {
    while (to - from > maxBytes) {
      emit(b, from, maxBytes, sink);
      splits++;
      from += maxBytes;
    }
    emit(b, from, to - from, sink);
  }

  private void emit(byte[] b, int off, int len, Sink sink) {
    Object body = encoding.body(b, off, len);
    if (body instanceof String s) {
      if (s.endsWith("\r")) {
        s = s.substring(0, s.length() - 1);
      }
      if (omitPattern) {
        Matcher m = (start != null ? start : end).matcher(s);
        if (m.find()) {
          s = s.substring(0, m.start()) + s.substring(m.end());
        }
      }
      if (!keepLeading) {
        s = s.stripLeading();
      }
      if (!keepTrailing) {
        s = s.stripTrailing();
      }
      if (s.isEmpty()) {
        return;
      }
      body = s;
    } else if (len == 0) {
      return;
    }
    if (!sink.entry(body)) {
      full = true;
    }
  }
}
