package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/grpcdouble/grpcdouble/expect"
)

// ScenarioState is the body of PUT /scenarios/{name}: {"state": "LoggedIn"}.
type ScenarioState struct {
	State string `json:"state"`
}

// getScenarios lists every scenario the stubs name, with its state
// (expect.Mock.Scenarios), of the request's session if it names one.
func (a *API) getScenarios(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	out := st.mock.Scenarios()
	if out == nil {
		out = []expect.Scenario{}
	}
	writeJSON(w, http.StatusOK, out)
}

// putScenario puts a scenario in a state.
func (a *API) putScenario(w http.ResponseWriter, r *http.Request) {
	st, ok := a.target(w, r, false)
	if !ok {
		return
	}
	body, ok := readBody(w, r, false)
	if !ok {
		return
	}
	var req ScenarioState
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `scenario: want {"state": "..."}: `+err.Error())
		return
	}
	name := r.PathValue("name")
	if err := st.mock.SetScenario(name, req.State); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, expect.ErrUnknownScenario) {
			code = http.StatusNotFound
		}
		writeError(w, code, "scenario: "+err.Error()+" (GET /scenarios lists them)")
		return
	}
	a.cfg.log.Info("admin: scenario set", "scenario", name, "state", req.State, "session", st.name, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, expect.Scenario{Name: name, State: req.State})
}
