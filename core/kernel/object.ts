/**
 * Loading one program of an object into the kernel, as libbpf would: the object's maps
 * created (a map-in-map with its inner template), the program linked with the
 * subprograms it calls, its map references patched to the new fds. The one place that
 * does this; `verify --kernel`, the differential tests and the benchmark all call it.
 * The caller closes what it got with `close()`.
 */

import { BpfObject, MapDef } from '../object';
import { linkProgram, ProgramRef, rawLinkedSlots } from '../link';
import { createMap, MapCreateDef } from './maps';
import { loadProgram, LoadResult, patchMapFds } from './prog';
import { closeFd, KernelError, Unavailable } from './sys';

export interface ObjectLoad {
  /** The map fds, by declaration index (for dumps after a run). */
  mapFds: number[];
  /** BPF_PROG_LOAD's answer: the program fd and log, or the error and log. */
  load: LoadResult;
  /** Closes the program (when it loaded) and the maps. */
  close(): void;
}

export interface ObjectLoadOptions {
  progType: string;
  attachType?: string;
  /** The object's license unless given. */
  license?: string;
  logLevel?: number;
}

function mapCreateDef(obj: BpfObject, m: MapDef): MapCreateDef {
  const inner = m.inner ? obj.maps.find((x) => x.name === m.inner) : undefined;
  return {
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name,
    innerDef: inner ? mapCreateDef(obj, inner) : undefined,
  };
}

export function loadObjectProgram(obj: BpfObject, ref: ProgramRef, opts: ObjectLoadOptions): ObjectLoad | KernelError | Unavailable {
  const mapFds: number[] = [];
  const closeMaps = () => { for (const fd of mapFds) closeFd(fd); };
  for (const m of obj.maps) {
    const r = createMap(mapCreateDef(obj, m));
    if (!('fd' in r)) {
      closeMaps();
      return 'unavailable' in r ? r : { ...r, message: `cannot create map ${m.name}: ${r.message}` };
    }
    mapFds.push(r.fd);
  }
  const { program } = linkProgram(obj, ref);
  const insns = patchMapFds(rawLinkedSlots(program, (name) => obj.maps.findIndex((m) => m.name === name)), mapFds);
  const load = loadProgram({
    progType: opts.progType, expectedAttachType: opts.attachType, insns,
    license: opts.license ?? obj.license, logLevel: opts.logLevel,
  });
  return {
    mapFds,
    load,
    close: () => {
      if ('fd' in load) closeFd(load.fd);
      closeMaps();
    },
  };
}
