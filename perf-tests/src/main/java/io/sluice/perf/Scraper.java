package io.sluice.perf;

/**
 * The scrapers the scrape → remote-write benchmark compares. The target simulator tells them
 * apart by their User-Agent, the remote-write sink by the path they write to.
 */
enum Scraper {
  SLUICE("sluice", "Sluice"),
  AGENT("agent", "Prometheus agent");

  private final String key;
  private final String title;

  Scraper(String key, String title) {
    this.key = key;
    this.title = title;
  }

  /** Short name: in settings ({@code bench.scrapers=sluice,agent}), file names and the sink's path. */
  String key() {
    return key;
  }

  String title() {
    return title;
  }

  /** The path this scraper's remote writes go to on the sink. */
  String writePath() {
    return "/" + key + "/api/v1/write";
  }

  /** Which scraper sent a scrape with this User-Agent; null for anyone else. */
  static Scraper fromUserAgent(String userAgent) {
    if (userAgent == null) {
      return null;
    }
    if (userAgent.startsWith("Sluice")) {
      return SLUICE;
    }
    if (userAgent.startsWith("Prometheus/")) {
      return AGENT;
    }
    return null;
  }

  static Scraper fromKey(String key) {
    for (Scraper s : values()) {
      if (s.key.equalsIgnoreCase(key.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scraper \"" + key + "\"; known: sluice, agent");
  }
}
