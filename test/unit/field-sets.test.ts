// Server-side apply's field sets: what the takeover of kubectl's fields would remove,
// as the CLI's diff previews it.
import { describe, expect, it } from '@jest/globals';
import { removeFields, subtractFields } from '../../apply/field-sets.js';

describe('field sets', () => {
  it('subtract: the fields of one set the other does not hold', () => {
    const takenOver = { 'f:metadata': { 'f:labels': { 'f:app': {}, 'f:edited-by': {} } }, 'f:data': { 'f:mode': {}, 'f:extra': {} } };
    const applied = { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:data': { 'f:mode': {} } };
    expect(subtractFields(takenOver, applied)).toEqual({ 'f:metadata': { 'f:labels': { 'f:edited-by': {} } }, 'f:data': { 'f:extra': {} } });
    expect(subtractFields(applied, takenOver)).toEqual({});
  });

  it('remove: fields, list items by key, set items by value; maps left empty go too', () => {
    const object = {
      metadata: { name: 'web', labels: { 'edited-by': 'hand' } },
      spec: {
        containers: [
          { name: 'web', image: 'web:1', env: [{ name: 'DEBUG', value: '1' }, { name: 'KEEP', value: 'x' }] },
          { name: 'sidecar', image: 'proxy:1' },
        ],
        finalizers: ['a', 'b'],
      },
    };
    const removed = removeFields(object, {
      'f:metadata': { 'f:labels': { 'f:edited-by': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': { 'f:env': { 'k:{"name":"DEBUG"}': { '.': {}, 'f:name': {}, 'f:value': {} } } },
          'k:{"name":"sidecar"}': { '.': {}, 'f:name': {}, 'f:image': {} },
        },
        'f:finalizers': { 'v:"b"': {} },
      },
    });
    expect(removed).toEqual({
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'web', image: 'web:1', env: [{ name: 'KEEP', value: 'x' }] }], finalizers: ['a'] },
    });
    // The original is left as it was.
    expect(object.metadata.labels).toEqual({ 'edited-by': 'hand' });
  });
});
