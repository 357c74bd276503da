/**
 * A draft's hosts found by name, MAC and address: lookups follow a host's
 * MAC or address when an importer changes it after adding the host, the
 * first declared wins when two inputs give two hosts one MAC, and free
 * names are handed out without walking the ones given before.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigDraft, HostDraft } from "./config-draft.js";

function host(draft: ConfigDraft, name: string, mac?: string, ip?: string): HostDraft {
  const h = new HostDraft(name, undefined);
  h.mac = mac;
  h.ip = ip;
  draft.addHost(h);
  return h;
}

describe("the draft's host directory", () => {
  it("finds hosts by name case-insensitively, as DNS names compare", () => {
    const draft = new ConfigDraft();
    const a = host(draft, "Lab1-PC01");
    assert.equal(draft.findHost("lab1-pc01"), a);
    assert.equal(draft.findHost("LAB1-PC01"), a);
    assert.equal(draft.findHost("lab1-pc02"), undefined);
    assert.deepEqual([...draft.hosts.keys()], ["Lab1-PC01"]);
  });

  it("follows a MAC or address changed after the host was added", () => {
    const draft = new ConfigDraft();
    const a = host(draft, "a", "52:54:00:00:00:01", "10.0.0.1");
    a.mac = "52:54:00:00:00:02";
    a.ip = undefined;
    assert.equal(draft.findHostByMac("52:54:00:00:00:01"), undefined);
    assert.equal(draft.findHostByMac("52:54:00:00:00:02"), a);
    assert.equal(draft.findHostByIp("10.0.0.1"), undefined);
    a.ip = "10.0.0.9";
    assert.equal(draft.findHostByIp("10.0.0.9"), a);
  });

  it("of two hosts with one MAC, finds the first declared, whichever got it first", () => {
    const draft = new ConfigDraft();
    const first = host(draft, "first");
    const second = host(draft, "second", "52:54:00:00:00:01");
    first.mac = "52:54:00:00:00:01";
    assert.equal(draft.findHostByMac("52:54:00:00:00:01"), first);
    first.mac = undefined;
    assert.equal(draft.findHostByMac("52:54:00:00:00:01"), second);
  });

  it("hands out pc, pc-2, pc-3 ... and skips names declared meanwhile", () => {
    const draft = new ConfigDraft();
    host(draft, "pc");
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const name = draft.freeHostName("PC");
      names.push(name);
      host(draft, name);
      if (i === 0) host(draft, "pc-3");
    }
    assert.deepEqual(names, ["PC-2", "PC-4", "PC-5"]);
  });

  it("gives groups and images free names the same way", () => {
    const draft = new ConfigDraft();
    draft.group("lab");
    assert.equal(draft.freeGroupName("lab"), "lab-2");
    draft.group("lab-2");
    assert.equal(draft.freeGroupName("lab"), "lab-3");
    draft.image("debian");
    assert.equal(draft.freeImageName("debian"), "debian-2");
  });
});

describe("a stand-in host known only by its MAC", () => {
  it("is not found by MAC, and the first host declared with that MAC takes its place and values", () => {
    const draft = new ConfigDraft();
    const standIn = new HostDraft("pxe-525400123456", undefined);
    standIn.mac = "52:54:00:12:34:56";
    standIn.set(["image"], "thin");
    draft.addStandInHost(standIn);
    assert.equal(draft.findHostByMac("52:54:00:12:34:56"), undefined);
    assert.equal(draft.findStandInHost("52:54:00:12:34:56"), standIn);
    const ws01 = host(draft, "ws01", "52:54:00:12:34:56", "10.0.0.11");
    assert.deepEqual([...draft.hosts.keys()], ["ws01"]);
    assert.equal(ws01.get(["image"]), "thin");
    assert.equal(draft.findHostByMac("52:54:00:12:34:56"), ws01);
    assert.equal(draft.findStandInHost("52:54:00:12:34:56"), undefined);
  });

  it("is replaced as well when a host gets that MAC after it was added", () => {
    const draft = new ConfigDraft();
    const standIn = new HostDraft("pxe-525400123456", undefined);
    standIn.mac = "52:54:00:12:34:56";
    draft.addStandInHost(standIn);
    const ws01 = host(draft, "ws01");
    ws01.mac = "52:54:00:12:34:56";
    assert.deepEqual([...draft.hosts.keys()], ["ws01"]);
  });
});
