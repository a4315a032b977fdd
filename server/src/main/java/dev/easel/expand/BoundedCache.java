package dev.easel.expand;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a model answered, kept for the next identical question: at most {@code size} entries, the least recently used dropped first. */
final class BoundedCache<K, V> {
    private final Map<K, V> map;

    BoundedCache(int size) {
        this.map = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > size;
            }
        });
    }

    V get(K key) {
        return map.get(key);
    }

    void put(K key, V value) {
        map.put(key, value);
    }
}
