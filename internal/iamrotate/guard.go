package iamrotate

// Guard may stop a rotation before a change it would make outside the
// store. Check is asked before each: creating, deactivating or deleting a
// key, writing a sink (Put, or a two-phase sink's Commit). A non-nil
// answer stops the rotation there with that error, wrapped. The daemon's
// guard answers once this replica no longer safely holds the secret's
// lease (state.ErrFenced): a replica that paused past its lease must not
// delete a key that another replica has since made current.
//
// A key the rotation has just created and failed to record is deleted
// without asking: no one else knows that key.
type Guard interface {
	Check() error
}

// guard asks the Spec's Guard, if it has one.
func (ru *run) guard() error {
	if ru.sec.Guard == nil {
		return nil
	}
	return ru.sec.Guard.Check()
}

// awsDone calls the Spec's AWSDone, if it has one.
func (ru *run) awsDone() {
	if ru.sec.AWSDone != nil {
		ru.sec.AWSDone()
	}
}

// store is where the run reads and writes the secret's state: the Spec's
// Store, if it has one, otherwise the Rotator's.
func (ru *run) store() Store {
	if ru.sec.Store != nil {
		return ru.sec.Store
	}
	return ru.r.store
}
