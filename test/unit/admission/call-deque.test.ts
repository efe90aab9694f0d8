import fc from 'fast-check';
import { CallDeque } from '../../../src/admission';

describe('CallDeque', () => {
  it('behaves like an array used from both ends, across growth', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('shift'), fc.constant('pop'), fc.integer())), (ops) => {
        const d = new CallDeque<number>(2);
        const model: number[] = [];
        for (const op of ops) {
          if (op === 'shift') expect(d.shift()).toBe(model.shift());
          else if (op === 'pop') expect(d.pop()).toBe(model.pop());
          else {
            d.push(op);
            model.push(op);
          }
          expect(d.length).toBe(model.length);
          expect(d.peekFront()).toBe(model[0]);
        }
      }),
    );
  });
});
