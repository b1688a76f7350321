'use strict';
// Owner references as the controllers and the garbage collector read and write them (apimachinery
// metav1.NewControllerRef, GetControllerOf, IsControlledBy), and the one write every controller
// makes: an update as kube-controller-manager, through the same strategy steps as a client's.

const write = require('./write');

const CONTROLLER = 'kube-controller-manager';

// metav1.NewControllerRef: what a controller puts on the objects it creates or adopts.
function controllerRef(owner, kind, apiVersion = 'apps/v1') {
  return { apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function controllerOf(obj) {
  return (obj.metadata.ownerReferences || []).find((r) => r.controller) || null;
}

function isControlledBy(obj, owner) {
  const ref = controllerOf(obj);
  return Boolean(ref) && ref.uid === owner.metadata.uid;
}

// Stores `next`, a changed copy of the stored `cur`, with cur's resourceVersion as precondition.
// Returns the stored object, or null when a concurrent write won: that write's change event brings
// the controller back, as a requeue would. Invalid changes throw (a controller bug, logged).
function controllerUpdate(sim, type, next, cur, subresource = '') {
  next.metadata.resourceVersion = cur.metadata.resourceVersion;
  const prepared = write.prepareUpdate(sim, type, next, cur, { manager: CONTROLLER, subresource });
  try {
    return write.commitUpdate(sim, type, prepared, { dryRun: false });
  } catch (e) {
    if (e.code === 409 || e.code === 404) return null;
    throw e;
  }
}

module.exports = { CONTROLLER, controllerRef, controllerOf, isControlledBy, controllerUpdate };
