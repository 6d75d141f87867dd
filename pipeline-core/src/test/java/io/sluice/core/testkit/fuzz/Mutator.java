package io.sluice.core.testkit.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Mutation fuzzing: a seed from a corpus of real inputs, changed by one or more edits: bit flips,
 * bytes overwritten with boundary values, random bytes or tokens of the format inserted, ranges
 * deleted or duplicated, the input truncated, and splices of another seed.
 */
public final class Mutator implements Function<Random, byte[]> {
  private static final byte[][] BOUNDARY = {
    {0}, {(byte) 0xff}, {0x7f}, {(byte) 0x80}, {1},
    // varints: 2^31 - 1, 2^32 - 1, 2^63 - 1, a 10-byte -1, and one that does not end
    {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07},
    {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f},
    {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f},
    {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, 0x01},
    {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
        (byte) 0x80, (byte) 0x80, (byte) 0x80},
    // invalid UTF-8: an overlong encoding, a surrogate, a truncated sequence
    {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xe2, (byte) 0x82},
  };

  private final List<byte[]> seeds;
  private final List<byte[]> tokens;
  private final int maxEdits;

  private Mutator(List<byte[]> seeds, List<byte[]> tokens, int maxEdits) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("an empty corpus");
    }
    this.seeds = List.copyOf(seeds);
    this.tokens = List.copyOf(tokens);
    this.maxEdits = maxEdits;
  }

  /** Mutants of {@code corpus}, one to {@code maxEdits} edits each; boundary values as the dictionary. */
  public static Mutator of(List<byte[]> corpus, int maxEdits) {
    return of(corpus, List.of(), maxEdits);
  }

  /**
   * Mutants of {@code corpus} that also insert the format's tokens ({@code dictionary}, such as
   * {@code "# TYPE "} or {@code "\"traceId\":"}).
   */
  public static Mutator of(List<byte[]> corpus, List<String> dictionary, int maxEdits) {
    List<byte[]> tokens = new ArrayList<>(Arrays.asList(BOUNDARY));
    for (String t : dictionary) {
      tokens.add(t.getBytes(StandardCharsets.UTF_8));
    }
    return new Mutator(corpus, tokens, maxEdits);
  }

  /** One mutant. */
  @Override
  public byte[] apply(Random r) {
    byte[] b = seeds.get(r.nextInt(seeds.size()));
    int edits = 1;
    while (edits < maxEdits && r.nextBoolean()) { // one edit half of the time, two a quarter, ...
      edits++;
    }
    for (int i = 0; i < edits; i++) {
      b = edit(b, r);
    }
    return b;
  }

  private byte[] edit(byte[] b, Random r) {
    int n = b.length;
    int at = r.nextInt(n + 1);
    int size = 1 + (r.nextBoolean() ? r.nextInt(8) : r.nextInt(256));
    switch (r.nextInt(9)) {
      case 0 -> {
        if (n == 0) {
          return b;
        }
        byte[] c = b.clone();
        c[Math.min(at, n - 1)] ^= (byte) (1 << r.nextInt(8));
        return c;
      }
      case 1 -> {
        byte[] t = BOUNDARY[r.nextInt(BOUNDARY.length)];
        byte[] c = Arrays.copyOf(b, Math.max(n, at + t.length));
        System.arraycopy(t, 0, c, at, t.length);
        return c;
      }
      case 2 -> {
        byte[] random = new byte[1 + r.nextInt(16)];
        r.nextBytes(random);
        return insert(b, at, random);
      }
      case 3, 4 -> {
        return insert(b, at, tokens.get(r.nextInt(tokens.size())));
      }
      case 5 -> {
        int len = Math.min(size, n - at);
        byte[] c = new byte[n - len];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(b, at + len, c, at, n - at - len);
        return c;
      }
      case 6 -> {
        return insert(b, at, Arrays.copyOfRange(b, at, Math.min(n, at + size)));
      }
      case 7 -> {
        return Arrays.copyOf(b, at);
      }
      default -> {
        byte[] other = seeds.get(r.nextInt(seeds.size()));
        int from = r.nextInt(other.length + 1);
        int to = r.nextBoolean() ? other.length : Math.min(other.length, from + size);
        byte[] c = Arrays.copyOf(b, at + (to - from));
        System.arraycopy(other, from, c, at, to - from);
        return c;
      }
    }
  }

  private static byte[] insert(byte[] b, int at, byte[] what) {
    byte[] c = new byte[b.length + what.length];
    System.arraycopy(b, 0, c, 0, at);
    System.arraycopy(what, 0, c, at, what.length);
    System.arraycopy(b, at, c, at + what.length, b.length - at);
    return c;
  }
}
