import { describe, expect, it } from 'vitest';
import { createAckBook, pubacks } from './acks.js';

type Connection = Parameters<ReturnType<typeof createAckBook>['acknowledge']>[0];

function fakeConnection(name: string, writes: Array<[string, Buffer]>): Connection {
  return { destroyed: false, write: (bytes: Buffer) => writes.push([name, bytes]) } as unknown as Connection;
}
const endOfTurn = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('PUBACK writes', () => {
  it('writes at most connectionsPerTurn connections per turn, the rest on later turns, each connection once with its ids in order', async () => {
    const writes: Array<[string, Buffer]> = [];
    const later: Array<() => void> = [];
    const book = createAckBook({ connectionsPerTurn: 2, nextTurn: (write) => later.push(write) });
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => fakeConnection(name, writes));
    for (const [connection, id] of [[a, 1], [b, 2], [c, 3], [a, 4], [d, 5], [e, 6]] as const) book.acknowledge(connection!, id);

    await endOfTurn();
    expect(writes.map(([name]) => name)).toEqual(['a', 'b']);
    expect(writes[0]![1]).toEqual(pubacks([1, 4]));
    book.acknowledge(c!, 7); // still waiting: joins its write
    expect(later).toHaveLength(1);
    later.shift()!();
    expect(writes.map(([name]) => name)).toEqual(['a', 'b', 'c', 'd']);
    expect(writes[2]![1]).toEqual(pubacks([3, 7]));
    later.shift()!();
    expect(writes.map(([name]) => name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(later).toHaveLength(0);

    book.acknowledge(a!, 8); // a new turn's acks start over at the end of that turn
    await endOfTurn();
    expect(writes.at(-1)).toEqual(['a', pubacks([8])]);
  });
});
