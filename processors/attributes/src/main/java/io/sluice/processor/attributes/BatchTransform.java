package io.sluice.processor.attributes;

import io.sluice.core.Batch;
import java.util.List;

/** A stateless batch function: the batch's new resource list, or its own list when nothing changed. */
interface BatchTransform {
  List<?> apply(Batch batch);
}
